"""Optional compiled builds of the engine's hot modules (mypyc, from the very same source).

The local search (``meded.engine.blocks.local``) scores hundreds of thousands of moves a
minute in plain Python; compiled by mypyc from its own, unchanged source it scores about
twice as many. ``python -m meded.engine.native`` (run by ``make venv``) builds it under
``var/native/``, beside a stamp holding the SHA-256 of the engine's sources it was built from. A
package imports a compiled module only while that stamp matches the sources, so an edit
without a rebuild runs the edited source, never stale code; without a compiler, or with
``MEDED_NATIVE=0`` in the environment, everything runs as plain Python.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ENGINE = Path(__file__).resolve().parent
ROOT = ENGINE.parent.parent  # the checkout: meded/engine/native.py
NATIVE = ROOT / "var" / "native"
# the modules compiled, as paths under the checkout
MODULES = ("meded/engine/blocks/local.py",)


def _digest() -> str:
    """Of every engine source (the compiled code also relies on the types of the modules
    it imports), so any edit to the engine retires the compiled builds until rebuilt."""
    h = hashlib.sha256()
    for path in sorted(ENGINE.rglob("*.py")):
        rel = path.relative_to(ENGINE)
        if "tests" in rel.parts:
            continue
        h.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _stamp(module: str) -> Path:
    return NATIVE / (module.removesuffix(".py") + ".sha256")


def current(module: str, digest: str | None = None) -> bool:
    """Whether a compiled build of ``module`` (a path under the checkout) exists and was
    built from the sources as they are now (``digest``, when already computed)."""
    try:
        return _stamp(module).read_text().strip() == (digest or _digest())
    except OSError:
        return False


def use_compiled(package_path: list[str], package_dir: str) -> None:
    """Put the compiled builds of ``package_dir`` (e.g. ``meded/engine/blocks``) first on
    the package's ``__path__`` when every compiled module there is current: its extension
    modules are then found before the sources."""
    if os.environ.get("MEDED_NATIVE", "1") == "0":
        return
    mine = [m for m in MODULES if m.rsplit("/", 1)[0] == package_dir]
    digest = _digest()
    if mine and all(current(m, digest) for m in mine):
        target = str(NATIVE / package_dir)
        if target not in package_path:
            package_path.insert(0, target)


def build(force: bool = False) -> int:
    """Compile ``MODULES`` with mypyc into ``var/native`` (skipped when current). Returns 0,
    or 1 when the compiler is missing or fails (the engine then runs as plain Python)."""
    digest = _digest()  # of the sources copied below
    todo = [m for m in MODULES if force or not current(m, digest)]
    if not todo:
        print("native: compiled modules are current")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        # a copy of the engine alone (it imports nothing outside it), so the build neither
        # writes next to the sources nor needs the project's Django type-checking plugin
        work = Path(tmp)
        shutil.copytree(
            ENGINE,
            work / "meded" / "engine",
            ignore=shutil.ignore_patterns("__pycache__", "tests"),
        )
        (work / "meded" / "__init__.py").write_text("")
        cmd = [sys.executable, "-m", "mypyc", *todo]
        try:
            out = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=False)
        except OSError as exc:
            print(f"native: cannot run mypyc ({exc}); the engine runs as plain Python")
            return 1
        if out.returncode != 0:
            tail = "\n".join((out.stdout + out.stderr).strip().splitlines()[-15:])
            print(f"native: mypyc failed; the engine runs as plain Python\n{tail}")
            return 1
        for module in todo:
            src_dir = work / module.rsplit("/", 1)[0]
            name = Path(module).stem
            built = sorted(src_dir.glob(f"{name}.*.so")) + sorted(
                src_dir.glob(f"{name}__mypyc.*.so")
            )
            if not built:
                print(f"native: no extension module built for {module}")
                return 1
            dest = NATIVE / module.rsplit("/", 1)[0]
            dest.mkdir(parents=True, exist_ok=True)
            _stamp(module).unlink(missing_ok=True)  # never a stamp beside half-copied files
            for so in built:
                tmp_copy = dest / (so.name + ".tmp")
                shutil.copyfile(so, tmp_copy)
                tmp_copy.replace(dest / so.name)
            _stamp(module).write_text(digest + "\n")
            print(f"native: compiled {module}")
    return 0


if __name__ == "__main__":
    raise SystemExit(build(force="--force" in sys.argv[1:]))
