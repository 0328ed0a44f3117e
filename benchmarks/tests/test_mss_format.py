"""Medical Student Scheduling: parser, independent evaluator (a toy scored by hand), the
published solution format, and the engine's translation of an instance."""

from __future__ import annotations

from benchmarks.formats import mss
from meded.engine.blocks.cpsat import solve
from meded.engine.blocks.lns import solve_decomposed

TOY = """% a toy instance in the published dzn layout
Students=2;
Disciplines=3;
Hospitals=2;
Duration=1;
Horizon=4;
Groups=2;
MaxDiscPerHosp=3;
DiscGroup = [1,1,2];
StudDiscGroup =[|
1, 1 |
2, 0 |];
AllowedDisc =[|
1, 1, 1 |
1, 1, 1 |];
Precededby =[|
0, 0, 0 |
0, 0, 0 |
1, 0, 0 |];
Availability =[|
1, 0, 1, 1 |
1, 1, 1, 1 |];
Ability = array3d(1..Students,1..Hospitals,1..Disciplines,[
1,1,1, 1,1,1 ,
1,1,1, 1,1,1]);
MaxPosHosp = array3d(1..Hospitals, 1..Disciplines, 1..Horizon,[
1,1,1,1, 1,1,1,1, 1,1,1,1,
1,1,1,1, 1,1,1,1, 1,1,1,1]);
MinPosHosp = array3d(1..Hospitals, 1..Disciplines, 1..Horizon,[
0,0,0,0, 0,0,0,0, 0,0,0,0,
0,0,0,0, 0,0,0,0, 0,0,0,0]);
WeightPref=[|
2, 1, -3, -1 |
1, 2, -1, -2 |];
PrefStudDisc =[|
3, 1, 2 |
2, 2, 1 |];
PrefStudHosp =[|
1, 4 |
3, 1 |];
ManPref = [1,0,2];
%% Instance features: ignored
"""


def toy_solution(ones: set[int]) -> str:
    vals = ",".join("1" if i in ones else "0" for i in range(2 * 4 * 2 * 3))
    return (
        "schedule= array4d(1..Students,1..Horizon, 1..Hospitals,1..Disciplines,"
        f"[{vals}]);\n %The real score reached is 23\n"
    )


def test_the_loader_reads_every_field_by_name_with_zero_based_indices() -> None:
    inst = mss.parse_dzn(TOY, "toy")
    assert (inst.S, inst.D, inst.H, inst.L, inst.T, inst.G, inst.M) == (2, 3, 2, 1, 4, 2, 3)
    assert inst.disc_group == [0, 0, 1] and inst.req == [[1, 1], [2, 0]]
    assert inst.preceded_by[2][0] == 1 and inst.avail[0] == [1, 0, 1, 1]
    assert inst.weights[0] == [2, 1, -3, -1] and inst.man_pref == [1, 0, 2]
    assert inst.max_pos[1][2] == [1, 1, 1, 1] and inst.n_internships == [2, 2]


def test_the_evaluator_scores_a_toy_solution_computed_by_hand() -> None:
    inst = mss.parse_dzn(TOY, "toy")
    # s1: (h1,d1) in period 1, (h2,d3) in period 3; s2: (h2,d2) in 1, (h2,d1) in 2.
    # index = ((s*T + t)*H + h)*D + d, 0-based: 0, 17, 28, 33
    grid = mss.read_solution(toy_solution({0, 17, 28, 33}), inst)
    assert grid[0] == [(0, 0), None, (1, 2), None]
    score = mss.evaluate(inst, grid)
    # s1: SD 2*(3+2)=10, SH 1*(1+4)=5, SM 1+2=3, one change -3, one idle before last -1 -> 14
    # s2: SD 1*(2+2)=4, SH 2*(1+1)=4, SM 1+0=1, no change, no wait -> 9
    assert score.violations == []
    assert score.per_student == [14, 9]
    assert (score.total, score.worst, score.objective) == (23, 9, 32)
    text = mss.write_solution(grid, inst, score)
    assert text.splitlines()[1:] == [
        " %The real score reached is 23",
        " %The worst score reached is 9",
        " %The score maximizes is 32",
    ]
    assert mss.read_solution(text, inst) == grid


def test_the_evaluator_reports_hard_violations_by_id() -> None:
    inst = mss.parse_dzn(TOY, "toy")
    # s1 does d3 in period 1 (index 2) before its prerequisite d1, which it does in period 2
    # (index ((0*4 + 1)*2 + 0)*3 + 0 = 6), when it is unavailable
    grid = mss.read_solution(toy_solution({2, 6, 28, 33}), inst)
    ids = {v.split()[0] for v in mss.evaluate(inst, grid).violations}
    assert {"H6", "H10"} <= ids


def test_the_engine_solves_the_toy_and_the_evaluator_agrees() -> None:
    inst = mss.parse_dzn(TOY, "toy")
    res = solve(mss.to_problem(inst), time_limit=5)
    assert res.status == "OPTIMAL" and res.objective is not None
    score = mss.evaluate(inst, mss.grid_of(res.schedule, inst))
    assert score.violations == []
    assert score.objective == -res.objective
    assert score.objective >= 32  # the hand-made solution is feasible


def test_the_decomposed_search_solves_the_toy_and_the_evaluator_agrees() -> None:
    inst = mss.parse_dzn(TOY, "toy")
    res = solve_decomposed(mss.to_problem(inst), time_limit=2, group=2, sub_time=0.2)
    assert res.feasible and res.objective is not None
    score = mss.evaluate(inst, mss.grid_of(res.schedule, inst))
    assert score.violations == []
    assert score.objective == -res.objective
    assert score.objective >= 32


def test_the_loader_names_a_missing_or_short_field() -> None:
    import pytest

    with pytest.raises(ValueError, match="Availability has 7 values, expected 8"):
        mss.parse_dzn(TOY.replace("1, 0, 1, 1 |", "1, 0, 1 |"), "toy")
    with pytest.raises(ValueError, match="missing or empty field"):
        mss.parse_dzn(TOY.replace("Horizon=4;", ""), "toy")
