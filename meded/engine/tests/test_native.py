"""The optional compiled build of the local search: used only while built from the sources
as they are, never stale, and never in the way when there is no compiler."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from meded.engine import native

PKG = "meded/engine/blocks"


@pytest.fixture
def build_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(native, "NATIVE", tmp_path / "native")
    monkeypatch.delenv("MEDED_NATIVE", raising=False)
    return tmp_path / "native"


def _stamp(build_dir: Path, digest: str) -> None:
    (build_dir / PKG).mkdir(parents=True, exist_ok=True)
    (build_dir / PKG / "local.sha256").write_text(digest + "\n")


def test_it_leaves_the_package_path_alone_when_nothing_was_built(build_dir: Path) -> None:
    path = ["/src/blocks"]
    native.use_compiled(path, PKG)
    assert path == ["/src/blocks"]


def test_it_puts_a_build_of_the_current_sources_first(build_dir: Path) -> None:
    _stamp(build_dir, native._digest())
    path = ["/src/blocks"]
    native.use_compiled(path, PKG)
    assert path == [str(build_dir / PKG), "/src/blocks"]


def test_it_ignores_a_build_made_from_other_sources(build_dir: Path) -> None:
    _stamp(build_dir, "0" * 64)  # e.g. built before an edit to the engine
    path = ["/src/blocks"]
    native.use_compiled(path, PKG)
    assert path == ["/src/blocks"]


def test_it_runs_plain_python_when_told_to(
    build_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stamp(build_dir, native._digest())
    monkeypatch.setenv("MEDED_NATIVE", "0")
    path = ["/src/blocks"]
    native.use_compiled(path, PKG)
    assert path == ["/src/blocks"]


def test_a_failing_compiler_leaves_no_stamp(
    build_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fails(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(cmd, 1, "", "error: something mypyc disliked")

    monkeypatch.setattr(subprocess, "run", fails)
    assert native.build(force=True) == 1
    assert not native.current("meded/engine/blocks/local.py")
    assert "plain Python" in capsys.readouterr().out


def test_a_missing_compiler_leaves_no_stamp(
    build_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        raise FileNotFoundError(cmd[0])

    monkeypatch.setattr(subprocess, "run", missing)
    assert native.build(force=True) == 1
    assert not native.current("meded/engine/blocks/local.py")


def test_a_build_copies_the_modules_and_stamps_them(
    build_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def compiles(cmd: list[str], cwd: Path, **kw: object) -> subprocess.CompletedProcess[str]:
        out = Path(cwd) / PKG
        for name in ("local.cpython-311-x86_64-linux-gnu.so", "local__mypyc.abi3.so"):
            (out / name).write_bytes(b"\x7fELF")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(subprocess, "run", compiles)
    assert native.build(force=True) == 0
    assert sorted(p.name for p in (build_dir / PKG).iterdir()) == [
        "local.cpython-311-x86_64-linux-gnu.so",
        "local.sha256",
        "local__mypyc.abi3.so",
    ]
    assert native.current("meded/engine/blocks/local.py")
    assert native.build() == 0  # current: nothing to do
