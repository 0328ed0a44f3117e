"""A long horizon in spans: their bound and their rosters (meded.engine.roster.spans)."""

from __future__ import annotations

import random
import time
from dataclasses import replace

import pytest

from meded.engine.roster import columns, solve, spans
from meded.engine.roster.check import check
from meded.engine.roster.problem import (
    AcgmeRules,
    CoverRequirement,
    Fairness,
    Person,
    RosterProblem,
    RuleSet,
    ShiftRequest,
    ShiftType,
)

H = 60


def shortfall(persons: int = 6, days: int = 56, acgme: bool = True, seed: int = 0) -> RosterProblem:
    """Days and nights wanted beyond what the people can work (so the cover costs something
    in every roster), half of them on a week of vacation."""
    rng = random.Random(seed)
    shifts = (ShiftType("day", 7 * H, 12 * H), ShiftType("night", 19 * H, 12 * H, night=True))
    people = []
    for i in range(persons):
        start = rng.randrange(days - 7)
        off = frozenset(range(start, start + 7)) if i % 2 else frozenset()
        people.append(Person(f"r{i}", days_off=off, max_consecutive_work=6 if acgme else None))
    cover = []
    for d in range(days):
        cover.append(CoverRequirement(d, "day", 1, target=4, under_weight=10, over_weight=1))
        cover.append(CoverRequirement(d, "night", 0, target=2, under_weight=7, over_weight=1))
    return RosterProblem(
        horizon=days,
        shifts=shifts,
        persons=tuple(people),
        cover=tuple(cover),
        first_weekday=0,
        rules=RuleSet(acgme=AcgmeRules.standard() if acgme else None),
    )


def converged_rounds(
    span: spans.Span, many: dict[str, int] | None
) -> tuple[columns.ColumnGeneration, float]:
    """The span's column generation from every person off, converged, and its relaxation."""
    pool = columns.Pool()
    for person in span.problem.persons:
        pool.add(person.id, (), 0)
    cg = columns.ColumnGeneration(span.problem, pool, workers=1, multiplicity=many)
    relaxation = cg.converge(time.perf_counter() + 60)
    assert relaxation is not None and cg.proven
    return cg, relaxation.objective


def converged(span: spans.Span, many: dict[str, int] | None) -> float:
    return converged_rounds(span, many)[1]


def test_the_spans_follow_one_another_over_the_horizon_each_four_weeks_or_more() -> None:
    for horizon in (28, 55, 56, 100, 182, 364):
        cut = spans.spans(horizon)
        assert [d for days in cut for d in days] == list(range(horizon))
        if horizon >= 2 * spans.SPAN_DAYS:
            assert min(len(days) for days in cut) >= spans.SPAN_DAYS
            assert max(len(days) for days in cut) - min(len(days) for days in cut) <= 1
        else:
            assert len(cut) == 1


def test_people_alike_in_a_span_are_one_kind_standing_for_all_of_them() -> None:
    p = shortfall(persons=4, days=56)
    persons = (
        Person("a", days_off=frozenset({3, 40})),
        Person("b", days_off=frozenset({3, 50})),  # alike in the first span, not the second
        Person("c", days_off=frozenset({3})),
        Person("d"),
    )
    p = replace(p, persons=persons, requests=(ShiftRequest("c", 10, "day", 2, on=False),))
    first, second = (spans.span_problem(p, days) for days in spans.spans(56))
    assert sorted(map(sorted, first.members.values())) == [["a", "b"], ["c"], ["d"]]
    assert sorted(first.multiplicity().values()) == [1, 1, 2]
    assert sorted(map(sorted, second.members.values())) == [["a"], ["b"], ["c", "d"]]
    # the second span counts its days from its first; its people's days off likewise
    days_off = {second.members[x.id]: x.days_off for x in second.problem.persons}
    assert days_off["a",] == {12} and days_off["b",] == {22}
    assert {c.day for c in second.problem.cover} == set(range(28))
    assert second.problem.first_weekday == (p.first_weekday + 28) % 7


def test_a_span_drops_minimum_totals_and_fairness_and_keeps_the_caps() -> None:
    p = shortfall(persons=2, days=56)
    persons = tuple(
        replace(x, min_total_minutes=200 * H, max_total_minutes=400 * H) for x in p.persons
    )
    p = replace(p, persons=persons, fairness=(Fairness("nights", ("r0", "r1"), 3),))
    span = spans.span_problem(p, spans.spans(56)[1])
    assert span.problem.fairness == ()
    assert all(x.min_total_minutes is None for x in span.problem.persons)
    assert all(x.max_total_minutes == 400 * H for x in span.problem.persons)


def test_merging_people_alike_leaves_the_relaxation_as_it_was() -> None:
    p = shortfall(persons=6, days=56, acgme=False, seed=1)
    span = spans.span_problem(p, spans.spans(56)[0])
    assert len(span.members) < 6  # some are merged
    merged = converged(span, span.multiplicity())
    # the same span with everybody on their own
    alone = replace(
        span.problem, persons=tuple(spans._relaxed_person(x, span.days) for x in p.persons)
    )
    everybody = spans.Span(span.days, alone, {x.id: (x.id,) for x in p.persons})
    assert abs(merged - converged(everybody, None)) < 1e-6


def test_without_rules_across_days_the_bound_is_the_optimum() -> None:
    p = shortfall(acgme=False)
    best = solve(p, time_limit=20.0, num_workers=1, lns=False, construct=False)
    assert best.status == "OPTIMAL"
    cut = spans.stitched(p, time.perf_counter() + 60, workers=1)
    assert cut.bound is not None and cut.bound == best.objective
    assert check(p, cut.roster).objective >= cut.bound


@pytest.fixture(scope="module")
def under_acgme() -> tuple[RosterProblem, spans.Stitched]:
    """A problem under the ACGME limits and its spans (their rounds take some seconds)."""
    p = shortfall(acgme=True, seed=2)
    return p, spans.stitched(p, time.perf_counter() + 60, workers=2)


def test_the_bound_is_below_every_roster_and_above_nothing(
    under_acgme: tuple[RosterProblem, spans.Stitched],
) -> None:
    p, cut = under_acgme
    assert not cut.pending
    assert cut.bound is not None and cut.bound > 0
    found = solve(p, time_limit=5.0, num_workers=2, lns=False, construct=False)
    assert found.objective is not None and cut.bound <= found.objective
    repaired = spans.repair(p, cut.roster, time.perf_counter() + 30, workers=2)
    assert repaired is not None
    assert cut.bound <= check(p, repaired).objective


def test_the_repair_keeps_every_hard_rule(
    under_acgme: tuple[RosterProblem, spans.Stitched],
) -> None:
    p, cut = under_acgme
    roster = {pid: dict(days) for pid, days in cut.roster.items()}
    # eleven days in a row over the seam, and a day after a night
    for d in range(22, 33):
        roster["r0"][d] = "day"
    roster["r2"][27], roster["r2"][28] = "night", "day"
    assert not check(p, roster).feasible
    repaired = spans.repair(p, roster, time.perf_counter() + 30, workers=2)
    assert repaired is not None
    report = check(p, repaired)
    assert report.feasible, [v.rule for v in report.hard]


def test_the_repair_fills_a_cover_minimum_that_nobody_who_changed_can_fill(
    under_acgme: tuple[RosterProblem, spans.Stitched],
) -> None:
    p, cut = under_acgme
    roster = {pid: dict(days) for pid, days in cut.roster.items()}
    repaired = spans.repair(p, roster, time.perf_counter() + 30, workers=2)
    assert repaired is not None
    # nobody on the day shift of day 10 (a hard minimum of one), and no person's rule broken
    for days in repaired.values():
        if days.get(10) == "day":
            del days[10]
    assert {v.rule for v in check(p, repaired).hard} == {"cover_minimum"}
    mended = spans.repair(p, repaired, time.perf_counter() + 30, workers=1)
    assert mended is not None
    assert check(p, mended).feasible
    assert any(days.get(10) == "day" for days in mended.values())


def test_people_of_a_kind_are_matched_to_the_schedules_that_follow_theirs() -> None:
    people = (Person("a", max_consecutive_work=6), Person("b", max_consecutive_work=6))
    p = replace(shortfall(persons=2, acgme=False), persons=people, cover=())
    second = spans.span_problem(p, spans.spans(56)[1])
    (kind,) = second.members
    roster = {"a": {d: "day" for d in range(22, 28)}, "b": {}}  # a ends the span on six days
    works_first = tuple((d, "day") for d in range(3))
    off_first = tuple((d, "day") for d in range(3, 9))
    for order in ([works_first, off_first], [off_first, works_first]):
        mine = {pid: dict(days) for pid, days in roster.items()}
        spans.assign(p, second, {kind: list(order)}, mine)
        assert all(28 + d not in mine["a"] for d in range(3))  # a rests, b starts
        assert all(mine["b"][28 + d] == "day" for d in range(3))
        assert check(p, mine).feasible


def test_the_integer_master_gives_each_kind_as_many_schedules_as_it_has_people() -> None:
    p = shortfall(persons=6, acgme=False, seed=1)
    span = spans.span_problem(p, spans.spans(56)[0])
    pool = columns.Pool()
    for person in span.problem.persons:
        pool.add(person.id, (), 0)
    many = span.multiplicity()
    cg = columns.ColumnGeneration(span.problem, pool, workers=1, multiplicity=many)
    cg.converge(time.perf_counter() + 60)
    chosen = spans.integer_master(span, pool, time.perf_counter() + 10, workers=1)
    assert chosen is not None
    assert {pid: len(cols) for pid, cols in chosen.items()} == many


def test_a_dive_by_counts_gives_each_kind_whole_schedules_and_leaves_the_bound_as_it_was() -> None:
    p = shortfall(persons=12, days=28, seed=3)
    (days,) = spans.spans(p.horizon)
    span = spans.span_problem(p, days)
    many = span.multiplicity()
    assert max(many.values()) > 1
    cg, bound = converged_rounds(span, many)
    lagrangian = cg.lagrangian
    chosen, _least = cg.dive_counts(time.perf_counter() + 60)
    assert chosen is not None
    assert {pid: len(cols) for pid, cols in chosen.items()} == many
    roster: dict[str, dict[int, str]] = {}
    spans.assign(p, span, chosen, roster)
    report = check(p, roster)
    assert report.feasible
    assert report.objective >= bound - 1e-6
    # no count is left fixed: the relaxation and its Lagrangian bound are as they were
    assert cg.relaxation is not None
    assert cg.relaxation.objective == pytest.approx(bound)
    assert cg.lagrangian == lagrangian
    assert all(var.lb() == 0 for var in cg.lp.lam.values())


def test_a_span_not_converged_in_its_time_is_finished_later() -> None:
    p = shortfall(acgme=False)
    cut = spans.stitched(p, time.perf_counter(), workers=1)  # no time for the rounds
    assert cut.pending
    before = [part.bound for part in cut.parts]
    cut.finish(time.perf_counter() + 60)
    assert not cut.pending
    after = [part.bound for part in cut.parts]
    for a, b in zip(before, after, strict=True):
        assert b is not None and (a is None or b >= a - 1e-6)
    assert cut.bound == 147  # as proven optimal above


def test_a_four_week_rule_is_kept_whole_in_a_span_not_prorated() -> None:
    # two weeks of work, then two free, twice: one day free in seven averaged over four
    # weeks holds, though no two weeks alone have a free day
    busy = [d for d in range(56) if d % 28 < 14]
    p = RosterProblem(
        horizon=56,
        shifts=(ShiftType("day", 8 * H, 8 * H),),
        persons=(Person("a"), Person("b")),
        cover=tuple(CoverRequirement(d, "day", target=2, under_weight=10) for d in busy),
        rules=RuleSet(acgme=AcgmeRules(min_free_days_per_28_days=4)),
    )
    roster = {pid: {d: "day" for d in busy} for pid in ("a", "b")}
    report = check(p, roster)
    assert report.feasible and report.objective == 0
    assert spans.stitched(p, time.perf_counter() + 30, workers=1).bound == 0
