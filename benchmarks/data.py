"""Where the shared benchmark data (the published MSS and Curtois & Qu instances) is found:
``$MEDED_BENCHDATA`` when set, otherwise ``../shared/benchdata`` beside the repository (the
folder that holds this checkout). Benchmarks, the Makefile and the tests that read the
instances all look here; nothing names an absolute path."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def benchdata_dir() -> Path:
    configured = os.environ.get("MEDED_BENCHDATA", "").strip()
    return Path(configured) if configured else REPO.parent / "shared" / "benchdata"


def mss_dir() -> Path:
    return benchdata_dir() / "mss"


def curtois_dir() -> Path:
    return benchdata_dir() / "curtois_nrp"
