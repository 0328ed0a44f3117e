"""The calendars tests reuse the schedules tests' solved demo year (solved once a session)."""

from meded.schedules.tests.conftest import solved, sy

__all__ = ["solved", "sy"]
