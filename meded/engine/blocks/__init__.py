"""Annual block (rotation) schedules: problem model, rules, checker and one solver entry point.

``meded.engine.blocks.solve(problem, limits, progress)`` (``portfolio.py``) is what the
product and the benchmarks call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from meded.engine.native import use_compiled

# the local search compiled by mypyc from its own source, when built and current (see
# meded.engine.native); otherwise the source itself
use_compiled(__path__, "meded/engine/blocks")

if TYPE_CHECKING:
    from meded.engine.blocks.portfolio import Limits, solve

__all__ = ["Limits", "solve"]


def __getattr__(name: str) -> Any:
    # the solver loads OR-Tools: only when asked for, not whenever the model is imported
    if name in __all__:
        from meded.engine.blocks import portfolio

        return getattr(portfolio, name)
    raise AttributeError(name)
