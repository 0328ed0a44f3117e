"""One small instance per block-schedule rule: the solver respects the rule where it binds,
and the independent checker flags a schedule that breaks it."""

from __future__ import annotations

from dataclasses import replace

from meded.engine.blocks.check import check
from meded.engine.blocks.cpsat import solve
from meded.engine.blocks.model import (
    Calendar,
    CoverageRule,
    Equity,
    Fairness,
    ForbiddenAdjacency,
    MaxConsecutive,
    MinSpacing,
    Preference,
    Prerequisite,
    Problem,
    Requirement,
    Resident,
    RestAfter,
    Rotation,
    Schedule,
    SiteChange,
    Template,
    Unit,
    VacationRequest,
    Waiting,
    Window,
    Wish,
    sel,
    who,
)

ICU = Rotation("icu", "MICU", "icu")
NF = Rotation("nf", "Night float", "night_float")
EL = Rotation("el", "Elective", "elective")
EL2 = Rotation("el2", "Second elective", "elective")
WARDS = Rotation("wards", "Wards", "wards")
ACR = Rotation("acr", "ACR clinic", "ambulatory")
VAC = Rotation("vac", "Vacation", "vacation")


def tiny(
    n_blocks: int, residents: tuple[Resident, ...], rotations: tuple[Rotation, ...], **kw: object
) -> Problem:
    return Problem(Calendar(n_blocks), residents, rotations, **kw)  # type: ignore[arg-type]


def solved(p: Problem) -> Schedule:
    res = solve(p, time_limit=5, workers=2)
    assert res.feasible, res.status
    rep = check(p, res.schedule)
    assert rep.ok, rep.violations
    assert res.objective is not None
    # proved best, every auxiliary variable is at its tightest: the two prices are equal
    # (a schedule found but not proved best may overstate its objective)
    if res.status == "OPTIMAL":
        assert rep.objective == res.objective
    else:
        assert rep.objective <= res.objective
    return res.schedule


def rules_of(p: Problem, s: Schedule) -> set[str]:
    return {v.rule for v in check(p, s).violations}


def test_it_never_puts_night_float_next_to_icu() -> None:
    r = Resident("a", 1, pins=((1, "icu"),))
    p = tiny(
        4,
        (r,),
        (ICU, NF, EL),
        windows=(Window("nights", who(), sel(["nf"]), 0, 3),),
        forbidden_adjacent=(ForbiddenAdjacency("nf_icu", sel(["nf"]), sel(["icu"])),),
    )
    s = solved(p)
    assert s["a"][3] == "nf" and s["a"][0] != "nf" and s["a"][2] != "nf"
    assert "adjacent:nf_icu" in rules_of(p, {"a": {0: "nf", 1: "icu", 2: "el", 3: "el"}})


def test_coverage_keeps_each_rotation_between_its_minimum_and_maximum() -> None:
    rs = tuple(Resident(f"r{i}", 1) for i in range(3))
    p = tiny(
        2,
        rs,
        (replace(ICU, coverage=(CoverageRule(min=2, max=2),)), EL),
        preferences=tuple(Preference(r.id, sel(["icu"]), 5) for r in rs),
    )
    s = solved(p)
    for b in range(2):
        assert sum(1 for r in rs if s[r.id][b] == "icu") == 2
    bad = {r.id: {0: "icu", 1: "el"} for r in rs}
    viol = [v for v in check(p, bad).violations if v.rule == "coverage:icu:all"]
    assert {(v.block, v.measured, v.limit) for v in viol} == {(0, 3, 2), (1, 0, 2)}


def test_coverage_by_role_counts_interns_and_seniors_separately() -> None:
    rs = (Resident("i1", 1), Resident("i2", 1), Resident("s1", 2), Resident("s2", 2))
    cov = (CoverageRule(min=1, max=1, role="intern"), CoverageRule(min=1, max=1, role="senior"))
    p = tiny(1, rs, (replace(WARDS, coverage=cov), EL))
    s = solved(p)
    assert sorted(r for r in s if s[r][0] == "wards") in (
        ["i1", "s1"],
        ["i1", "s2"],
        ["i2", "s1"],
        ["i2", "s2"],
    )
    assert "coverage:wards:senior" in rules_of(
        p, {"i1": {0: "wards"}, "i2": {0: "el"}, "s1": {0: "el"}, "s2": {0: "el"}}
    )


def test_requirements_bound_blocks_this_year_and_over_residency_with_history() -> None:
    a = Resident("a", 2, history=(("icu", 3),))
    p = tiny(
        6,
        (a,),
        (ICU, EL),
        requirements=(
            Requirement("icu_total", sel(categories=["icu"]), min=5, max=5, scope="residency"),
        ),
        preferences=(Preference("a", sel(["icu"]), 10),),
    )
    s = solved(p)
    assert sum(1 for k in s["a"].values() if k == "icu") == 2  # 3 done before + 2 = 5
    assert "req:icu_total" in rules_of(p, {"a": {b: "el" for b in range(6)}})


def test_soft_requirement_costs_its_weight_per_missing_block() -> None:
    a = Resident("a", 1)
    p = tiny(3, (a,), (ICU, EL), requirements=(Requirement("icu", sel(["icu"]), min=2, weight=7),))
    rep = check(p, {"a": {0: "icu", 1: "el", 2: "el"}})
    assert rep.ok and ("req:icu", "a", "icu (below min)", 7) in rep.costs
    s = solved(p)
    assert sum(1 for k in s["a"].values() if k == "icu") >= 2


def test_pathway_window_puts_research_early_for_physician_scientists() -> None:
    rs = (Resident("psp", 1, track="physician_scientist"), Resident("cat", 1))
    research = Rotation("research", "Research", "research")
    p = tiny(
        8,
        rs,
        (research, EL),
        windows=(
            Window(
                "psp_early", who(tracks=["physician_scientist"]), sel(categories=["research"]), 0, 2
            ),
        ),
        wishes=(Wish("late", "psp", sel(["research"]), not_before=5, weight=1),),
    )
    s = solved(p)
    assert any(s["psp"][b] == "research" for b in range(3))
    assert "window:psp_early" in rules_of(
        p, {"psp": {b: "el" for b in range(8)}, "cat": {b: "el" for b in range(8)}}
    )


def test_x_plus_y_template_puts_each_cohort_in_clinic_on_its_own_cycle() -> None:
    rs = tuple(Resident(f"r{c}", 1, cohort=c) for c in range(3))
    tpl = Template("2+1", 2, 1, sel(categories=["ambulatory"]))
    p = tiny(6, rs, (ACR, WARDS), templates=(tpl,))
    s = solved(p)
    for r in rs:
        clinic = sorted(b for b, k in s[r.id].items() if k == "acr")
        assert clinic == [b for b in range(6) if (b - r.cohort) % 3 == 0]  # type: ignore[operator]
    assert "template:2+1" in rules_of(p, {r.id: {b: "wards" for b in range(6)} for r in rs})


def test_prerequisite_must_be_finished_before_the_dependent_rotation_starts() -> None:
    a = Resident("a", 1)
    base = Rotation("base", "Intro", "elective", length=2)
    adv = Rotation("adv", "Advanced", "elective")
    p = tiny(
        4,
        (a,),
        (base, adv, EL),
        requirements=(Requirement("adv", sel(["adv"]), min=1),),
        prerequisites=(Prerequisite("adv_after_base", sel(["adv"]), sel(["base"])),),
        wishes=(Wish("adv_early", "a", sel(["adv"]), not_after=0, weight=1),),
    )
    s = solved(p)
    adv_b = min(b for b, k in s["a"].items() if k == "adv")
    base_b = [b for b, k in s["a"].items() if k == "base"]
    assert base_b and max(base_b) < adv_b
    assert "prereq:adv_after_base" in rules_of(p, {"a": {0: "adv", 1: "base", 2: "base", 3: "el"}})


def test_multi_block_rotations_occupy_contiguous_blocks() -> None:
    a = Resident("a", 1)
    p = tiny(
        4,
        (a,),
        (replace(ICU, length=2), EL),
        requirements=(Requirement("icu", sel(["icu"]), min=1, unit=Unit.STINTS),),
    )
    s = solved(p)
    icu = sorted(b for b, k in s["a"].items() if k == "icu")
    assert len(icu) == 2 and icu[1] == icu[0] + 1
    assert "length" in rules_of(p, {"a": {0: "icu", 1: "el", 2: "icu", 3: "icu"}})


def test_no_more_than_k_consecutive_intensive_blocks() -> None:
    a = Resident("a", 1)
    p = tiny(
        5,
        (a,),
        (WARDS, EL),
        max_consecutive=(MaxConsecutive("run", sel(categories=["wards"]), 2),),
        preferences=(Preference("a", sel(["wards"]), 3),),
    )
    s = solved(p)
    row = [s["a"][b] for b in range(5)]
    assert row.count("wards") == 4 and row[2] == "el"
    assert "maxconsec:run" in rules_of(p, {"a": {b: "wards" for b in range(5)}})


def test_repeats_of_the_same_rotation_are_spaced() -> None:
    a = Resident("a", 1)
    p = tiny(
        5,
        (a,),
        (NF, EL),
        requirements=(Requirement("nights", sel(["nf"]), min=2, max=2),),
        min_spacing=(MinSpacing("gap", sel(["nf"]), 2),),
    )
    s = solved(p)
    nf = sorted(b for b, k in s["a"].items() if k == "nf")
    assert nf[1] - nf[0] >= 3
    assert "spacing:gap" in rules_of(p, {"a": {0: "nf", 1: "el", 2: "nf", 3: "el", 4: "el"}})


def test_a_rest_block_follows_a_run_of_nights() -> None:
    a = Resident("a", 1, pins=((1, "nf"),))
    p = tiny(
        4,
        (a,),
        (NF, WARDS, EL),
        rest_after=(RestAfter("rest", sel(["nf"]), sel(categories=["wards", "night_float"])),),
        preferences=(Preference("a", sel(["wards"]), 3),),
    )
    s = solved(p)
    assert s["a"][2] in ("el", "nf")
    assert "rest:rest" in rules_of(p, {"a": {0: "el", 1: "nf", 2: "wards", 3: "el"}})


def test_approved_vacation_is_given_and_unapproved_costs_its_weight() -> None:
    rs = (Resident("a", 1), Resident("b", 1))
    p = tiny(
        2,
        rs,
        (replace(WARDS, coverage=(CoverageRule(min=1),)), VAC),
        vacation_requests=(
            VacationRequest("va", "a", frozenset({0}), approved=True),
            VacationRequest("vb", "b", frozenset({0}), weight=4),
        ),
    )
    res = solve(p, time_limit=5)
    assert res.schedule["a"][0] == "vac" and res.schedule["b"][0] == "wards"
    assert [(c.rule, c.cost) for c in res.costs] == [("vacation:vb", 4)]
    assert "vacation:va" in rules_of(
        p, {"a": {0: "wards", 1: "wards"}, "b": {0: "vac", 1: "wards"}}
    )


def test_vacation_only_in_allowed_blocks() -> None:
    a = Resident("a", 1)
    vac = replace(VAC, allowed_blocks=frozenset({2, 3}))
    p = tiny(4, (a,), (vac, EL), requirements=(Requirement("vac", sel(["vac"]), min=1),))
    s = solved(p)
    assert next(b for b, k in s["a"].items() if k == "vac") in (2, 3)
    assert "allowed_blocks" in rules_of(p, {"a": {0: "vac", 1: "el", 2: "el", 3: "el"}})


def test_eligibility_leave_and_pins_are_respected() -> None:
    a = Resident("a", 1, unavailable=frozenset({1}), pins=((2, "el"),))
    p = tiny(
        3,
        (a,),
        (replace(ICU, pgys=frozenset({2})), EL, EL2),
        preferences=(Preference("a", sel(["el2"]), 1),),
    )
    s = solved(p)
    assert 1 not in s["a"] and s["a"][2] == "el" and "icu" not in s["a"].values()
    got = rules_of(p, {"a": {0: "icu", 1: "el", 2: "el2"}})
    assert {"eligibility", "unavailable", "pin"} <= got


def test_ranked_preferences_and_not_before_wishes_shape_the_schedule() -> None:
    rs = (Resident("a", 2), Resident("b", 2))
    cards = Rotation("cards", "Cardiology", "elective", coverage=(CoverageRule(max=1),))
    p = tiny(
        2,
        rs,
        (cards, EL),
        requirements=(Requirement("once", sel(["cards"]), max=1),),
        preferences=(Preference("a", sel(["cards"]), 5), Preference("b", sel(["cards"]), 3)),
        wishes=(Wish("b_late", "b", sel(["cards"]), not_before=1, weight=10),),
    )
    s = solved(p)
    assert s["a"][0] == "cards" and s["b"][1] == "cards"
    rep = check(p, {"a": {0: "el", 1: "cards"}, "b": {0: "cards", 1: "el"}})
    assert ("wish:b_late", "b", "cards", 10) in rep.costs


def test_fairness_spreads_nights_evenly_within_a_pgy() -> None:
    rs = tuple(Resident(f"r{i}", 1) for i in range(3))
    nf = replace(NF, coverage=(CoverageRule(min=1, max=1),))
    p = tiny(6, rs, (nf, EL), fairness=(Fairness("nights", "blocks", 1, sel(["nf"])),))
    s = solved(p)
    counts = [sum(1 for k in s[r.id].values() if k == "nf") for r in rs]
    assert counts == [2, 2, 2]
    uneven = {
        "r0": {b: "nf" for b in range(6)},
        "r1": {b: "el" for b in range(6)},
        "r2": {b: "el" for b in range(6)},
    }
    assert ("fairness:nights", None, "PGY1 spread of blocks", 6) in check(p, uneven).costs


def test_equity_helps_the_worst_off_resident() -> None:
    rs = (Resident("a", 1), Resident("b", 1))
    g1 = Rotation("g1", "Wanted", "elective", coverage=(CoverageRule(max=1),))
    g2 = Rotation("g2", "Second choice", "elective")
    prefs = (
        Preference("a", sel(["g1"]), 8),
        Preference("a", sel(["g2"]), 2),
        Preference("b", sel(["g1"]), 5),
    )
    plain = tiny(1, rs, (g1, g2, EL), preferences=prefs)
    assert solved(plain)["a"][0] == "g1"  # 8 > 2 + 5 without equity
    fair = replace(plain, equity=(Equity("worst", 2),), _cache={})
    s = solved(fair)
    assert s["a"][0] == "g2" and s["b"][0] == "g1"  # 2 + 5 + 2*2 > 8 + 2*0
    rep = check(fair, s)
    assert rep.scores == {"a": 2, "b": 5} and rep.objective == -7 - 4


def test_site_changes_and_waiting_are_priced() -> None:
    a = Resident("a", 1)
    r1 = Rotation("x1", "X at site 1", "wards", site="s1")
    r2 = Rotation("x2", "X at site 2", "wards", site="s2")
    p = tiny(
        4,
        (a,),
        (r1, r2),
        full_assignment=False,
        requirements=(Requirement("two", sel(categories=["wards"]), min=2, max=2),),
        preferences=(Preference("a", sel(["x2"]), 1),),
        site_changes=(SiteChange("a", 5),),
        waiting=(Waiting("a", 2),),
    )
    s = solved(p)
    assert s["a"] == {0: "x2", 1: "x2"}
    rep = check(p, {"a": {1: "x1", 3: "x2"}})
    assert ("site_change", "a", "site changes", 5) in rep.costs
    assert ("waiting", "a", "idle blocks before last", 4) in rep.costs


def test_named_costs_from_the_solver_match_the_checker() -> None:
    rs = tuple(Resident(f"r{i}", 1 + i % 2) for i in range(4))
    p = tiny(
        4,
        rs,
        (replace(NF, coverage=(CoverageRule(min=1, max=1),)), EL, ICU),
        preferences=tuple(Preference(r.id, sel(["icu"]), 2) for r in rs),
        forbidden_adjacent=(ForbiddenAdjacency("nf_icu", sel(["nf"]), sel(["icu"])),),
        fairness=(Fairness("nights", "blocks", 3, sel(["nf"])),),
    )
    res = solve(p, time_limit=5)
    assert res.status == "OPTIMAL"
    rep = check(p, res.schedule)
    assert sorted((c.rule, c.resident, c.cost) for c in res.costs) == sorted(
        (c[0], c[1], c[3]) for c in rep.costs
    )
    assert rep.objective == res.objective


def test_site_changes_are_counted_between_consecutive_stints_across_idle_gaps() -> None:
    a = Resident("a", 1, pins=((0, "x1"), (1, "x1"), (4, "y2"), (5, "y2"), (8, "z1"), (9, "z1")))
    rots = (
        Rotation("x1", "X at site 1", "wards", site="s1", length=2),
        Rotation("y2", "Y at site 2", "wards", site="s2", length=2),
        Rotation("z1", "Z at site 1", "wards", site="s1", length=2),
    )
    p = tiny(
        10,
        (a,),
        rots,
        full_assignment=False,
        requirements=(Requirement("three", sel(categories=["wards"]), max=3, unit=Unit.STINTS),),
        site_changes=(SiteChange("a", 3),),
        waiting=(Waiting("a", 1),),
    )
    res = solve(p, time_limit=5)
    assert res.status == "OPTIMAL"
    costs = {c.rule: c.cost for c in res.costs}
    assert costs == {"site_change": 2 * 3, "waiting": 4}
    rep = check(p, res.schedule)
    assert sorted((c[0], c[3]) for c in rep.costs) == sorted(costs.items())


def test_a_pinned_block_rules_out_every_other_rotation_covering_it() -> None:
    from meded.engine.blocks.rules import build

    long_el = replace(EL2, length=2)
    p = tiny(4, (Resident("a", 1, pins=((1, "el"),)),), (EL, long_el), full_assignment=False)
    ctx = build(p)
    assert ("a", "el", 1) in ctx.start
    assert not any(("a", "el2", b) in ctx.start for b in (0, 1))
    assert ("a", "el2", 2) in ctx.start
    # when explaining, a pin is a relaxable assumption: the other starts stay
    assert ("a", "el2", 0) in build(p, explain=True).start


def test_a_preference_count_is_capped_by_a_hard_at_most_once_requirement() -> None:
    from meded.engine.blocks.rules import build

    r = Resident("a", 1, history=(("el2", 1),))
    p = tiny(
        6,
        (r,),
        (WARDS, EL, EL2),
        requirements=(
            Requirement("once_el", sel(["el"]), max=1, unit=Unit.STINTS),
            Requirement("elective_total", sel(categories=["elective"]), max=2, scope="residency"),
        ),
        preferences=(Preference("a", sel(["el"]), 5), Preference("a", sel(["el2"]), 3)),
    )
    terms = {t.detail: t.ub for t in build(p).terms if t.rule == "preference"}
    # el: at most once; el2: two elective blocks over residency, one already done
    assert terms == {"el": 1, "el2": 1}
    # explaining keeps every hard rule a removable assumption: no cap in the domains
    loose = {t.detail: t.ub for t in build(p, explain=True).terms if t.rule == "preference"}
    assert loose == {"el": 6, "el2": 6}
    # one elective block is left this year: the better-rewarded one gets it
    s = solved(p)
    assert sorted(k for k in s["a"].values() if k != "wards") == ["el"]
