"""Annual block (rotation) schedules: problem model, CP-SAT rules, solver and checker."""
