"""A residency-like roster: residents over 28 days with day, night and 24-hour call shifts,
every ACGME limit on; the solver must find a roster that keeps them all."""

from __future__ import annotations

from meded.engine.roster import (
    AcgmeRules,
    CoverRequirement,
    Fairness,
    Person,
    RosterProblem,
    RuleSet,
    ShiftRequest,
    ShiftType,
    solve,
)
from meded.engine.roster.problem import MINUTES_PER_DAY

SHIFTS = (
    ShiftType("DAY", start_minute=7 * 60, length_minutes=12 * 60),
    ShiftType("NIGHT", start_minute=19 * 60, length_minutes=12 * 60, night=True),
    ShiftType("CALL", start_minute=7 * 60, length_minutes=24 * 60, in_house_call=True, night=True),
)


def residency(n: int = 8, horizon: int = 28) -> RosterProblem:
    residents = tuple(
        Person(f"R{i}", max_weekends=3, max_consecutive_work=6, days_off=frozenset({(5 * i) % 28}))
        for i in range(n)
    )
    cover = []
    for d in range(horizon):
        cover.append(
            CoverRequirement(d, "DAY", minimum=2, target=3, under_weight=20, over_weight=5)
        )
        cover.append(CoverRequirement(d, "NIGHT", minimum=1, maximum=1))
        cover.append(CoverRequirement(d, "CALL", minimum=1, maximum=1))
    requests = tuple(
        ShiftRequest(f"R{i}", (3 * i + 2) % horizon, "DAY", 3, on=False) for i in range(n)
    )
    return RosterProblem(
        horizon=horizon,
        shifts=SHIFTS,
        persons=residents,
        cover=tuple(cover),
        requests=requests,
        fairness=(Fairness("calls", tuple(p.id for p in residents), weight=10, name="PGY"),),
        rules=RuleSet(acgme=AcgmeRules.standard()),
    )


def test_a_residency_month_with_acgme_limits_is_rostered_within_them() -> None:
    p = residency()
    sol = solve(p, time_limit=8, num_workers=2)
    assert sol.feasible, sol.explanation()
    shifts = {s.id: s for s in p.shifts}
    for pid, days in sol.roster.items():
        minutes = sum(shifts[s].length_minutes for s in days.values())
        assert minutes <= 4 * 80 * 60
        calls = sum(1 for s in days.values() if s == "CALL")
        assert calls <= 9
        free = [
            d
            for d in range(28)
            if d not in days
            and (d - 1 not in days or shifts[days[d - 1]].end_minute <= MINUTES_PER_DAY)
        ]
        assert len(free) >= 4, pid
        for d, s in days.items():
            nxt = days.get(d + 1)
            if nxt is None:
                continue
            a, b = shifts[s], shifts[nxt]
            rest = MINUTES_PER_DAY + b.start_minute - a.end_minute
            need = 14 * 60 if a.length_minutes >= 24 * 60 else 8 * 60
            assert rest >= need, (pid, d, s, nxt)
    for d in range(28):
        on = [days.get(d) for days in sol.roster.values()]
        assert on.count("NIGHT") == 1 and on.count("CALL") == 1 and on.count("DAY") >= 2
