"""A general shift-roster engine on CP-SAT (pure Python, no Django).

See :mod:`meded.engine.roster.problem` for the data, :mod:`meded.engine.roster.rules` for the
model (one ``add_<rule>()`` per rule) and :mod:`meded.engine.roster.solve` for solving,
progress, penalties and infeasibility explanations.
"""

from meded.engine.roster.problem import (
    AcgmeRules,
    CoverRequirement,
    Fairness,
    Person,
    Pin,
    Roster,
    RosterProblem,
    RuleSet,
    ShiftRequest,
    ShiftType,
)
from meded.engine.roster.solve import (
    PenaltyCost,
    ProgressPoint,
    RosterSolution,
    explain_infeasibility,
    solve,
)

__all__ = [
    "AcgmeRules",
    "CoverRequirement",
    "Fairness",
    "PenaltyCost",
    "Person",
    "Pin",
    "ProgressPoint",
    "Roster",
    "RosterProblem",
    "RosterSolution",
    "RuleSet",
    "ShiftRequest",
    "ShiftType",
    "explain_infeasibility",
    "solve",
]
