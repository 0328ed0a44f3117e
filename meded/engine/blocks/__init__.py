"""Annual block (rotation) schedules: problem model, CP-SAT rules, solver and checker."""

from meded.engine.native import use_compiled

# the local search compiled by mypyc from its own source, when built and current (see
# meded.engine.native); otherwise the source itself
use_compiled(__path__, "meded/engine/blocks")
