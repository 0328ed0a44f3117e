"""The benchmark scripts run the product's entry points, and say so when a run finds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import blocks, mss
from benchmarks.tests.test_mss_format import TOY
from meded.engine.blocks.cpsat import Result


def nothing(*args: object, **kw: object) -> Result:
    return Result("UNKNOWN", {}, None, None, None, None, 1.0, 2)


def test_the_mss_script_scores_a_solved_instance_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "toy.dzn"
    path.write_text(TOY)
    assert mss.main([str(path), "--time-limit", "2", "--workers", "1", "--json"]) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert row["feasible"] is True and row["strategy"] == "anneal"
    assert row["objective"] >= 32  # the evaluator's score of the written solution


def test_the_mss_script_exits_1_when_an_instance_ends_with_no_solution(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "toy.dzn"
    path.write_text(TOY)
    monkeypatch.setattr(mss, "solve", nothing)
    assert mss.main([str(path), "--time-limit", "1", "--json"]) == 1
    out = capsys.readouterr()
    assert json.loads(out.out.strip())["feasible"] is False
    assert "no feasible solution for: toy" in out.err


def test_the_blocks_script_solves_through_the_entry_point(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert blocks.main(["--residents", "12", "--time-limit", "5", "--json"]) == 0
    row = json.loads(capsys.readouterr().out.strip())
    assert row["method"] == "engine" and row["strategy"] == "cp-sat"
    assert row["feasible"] is True and row["hard_violations"] == 0


def test_the_blocks_script_exits_1_when_it_finds_no_schedule(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blocks, "solve", nothing)
    assert blocks.main(["--residents", "12", "--time-limit", "1", "--json"]) == 1
    assert "no schedule within 1 s" in capsys.readouterr().err
