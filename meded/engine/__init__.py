"""The scheduling engine: pure Python, no Django.

Nothing in meded.engine imports Django, django-ninja, django-tasks or any meded app; the
import-linter contract in pyproject.toml ("The engine is pure Python") checks it on every
`make lint`. Apps translate their rows into plain data for the engine and write its answers
back through their actions, so the engine can be tested and benchmarked without a database.

The package is empty for now; the schedule and clinic solvers arrive with later issues.
"""
