"""Roster files built in memory for tests (never committed as fixtures)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

import openpyxl

from meded.org.roster import COLUMN_NAMES


def resident(n: int, **values: Any) -> dict[str, Any]:
    """A valid new Internal Medicine resident (categorical, PGY-1)."""
    row: dict[str, Any] = {
        "external_id": f"NEW{n:06d}",
        "email": f"new.resident{n}@hospital.example",
        "first_name": f"First{n}",
        "last_name": f"Last{n}",
        "preferred_name": "",
        "degrees": "MD",
        "track": "categorical",
        "pgy": 1,
        "start_date": "",
        "end_date": "",
        "status": "active",
        "continuity_site": "ima",
        "medical_school": "Tufts University",
        "npi": "",
    }
    row.update(values)
    return row


def csv_bytes(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str] = COLUMN_NAMES,
    header: Sequence[str] | None = None,
    encoding: str = "utf-8",
) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(header or columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: Iterable[dict[str, Any]], columns: Sequence[str] = COLUMN_NAMES) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Roster"
    ws.append(list(columns))
    for r in rows:
        ws.append([r.get(c) for c in columns])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
