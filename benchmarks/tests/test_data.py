"""The shared benchmark data is found beside the repository, or where MEDED_BENCHDATA says."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import data as benchdata


def test_the_data_is_looked_for_in_shared_beside_the_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MEDED_BENCHDATA", raising=False)
    repo = Path(__file__).resolve().parents[2]
    assert (repo / "Makefile").exists()
    assert benchdata.benchdata_dir() == repo.parent / "shared" / "benchdata"
    assert benchdata.curtois_dir() == repo.parent / "shared" / "benchdata" / "curtois_nrp"


def test_meded_benchdata_points_elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDED_BENCHDATA", str(tmp_path))
    assert benchdata.mss_dir() == tmp_path / "mss"
