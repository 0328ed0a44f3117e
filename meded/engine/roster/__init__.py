"""A general shift-roster engine on CP-SAT (pure Python, no Django).

See :mod:`meded.engine.roster.problem` for the data, :mod:`meded.engine.roster.rules` for the
model (one ``add_<rule>()`` per rule) and :mod:`meded.engine.roster.solve` for solving,
progress, penalties and infeasibility explanations.

:mod:`meded.engine.roster.check` scores a roster without the solver: its ``check()`` returns
every broken hard rule and every soft cost, with one ``check_<rule>()`` per ``add_<rule>()``
written from the rule's definition (``RULES`` pairs them). The model's penalties are tested
against it term by term (``meded/engine/tests/test_roster_agreement.py``: with the assignment
fixed to a roster, equal costs, and infeasible exactly when a hard rule breaks), and so are
the penalties :func:`solve` reports; use it to re-score a roster from anywhere else (an
import, an edited draft, a benchmark) rather than trusting a model's own objective. (It is
not re-exported here: the name would hide the submodule.)
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
