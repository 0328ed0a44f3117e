"""Every CSV and XLSX export neutralises text a spreadsheet would run as a formula (a leading
=, +, -, @, tab or carriage return gets an apostrophe) through meded.core.spreadsheet, and no
XLSX cell is ever a formula: the schedule CSV and XLSX, the meal cards CSV, the trainee
roster CSV and XLSX (which still re-import as "no changes")."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from meded.core.spreadsheet import FORMULA_START, csv_writer, safe_cell, unquote_cell
from meded.org.actions import do_export_roster, do_import_roster
from meded.org.models import Appointment, Person
from meded.rosters.tests.conftest import future_block, published, put, solved, sy
from meded.schedules.models import Rotation

__all__ = ["future_block", "published", "put", "solved", "sy"]

pytestmark = pytest.mark.django_db

PAYLOADS = ['=HYPERLINK("http://x.example","y")', "+1", "-1", "@SUM(1)", "\tlead", "\rlead"]


def csv_cells(content: bytes) -> list[str]:
    text = content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def xlsx_cells(content: bytes) -> list[Any]:
    wb = openpyxl.load_workbook(io.BytesIO(content))  # not read-only: data_type is exact
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


def assert_csv_neutralised(content: bytes) -> None:
    cells = csv_cells(content)
    live = [c for c in cells if c.startswith(FORMULA_START)]
    assert not live, live
    for payload in PAYLOADS:
        assert any(c.startswith("'" + payload) for c in cells), payload


def assert_xlsx_neutralised(content: bytes) -> None:
    cells = xlsx_cells(content)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(FORMULA_START)]
    for payload in PAYLOADS:
        # XML reads a carriage return in text back as a line feed.
        assert any(t.startswith("'" + payload.replace("\r", "\n")) for t in texts), payload


def name_residents(appointments: list[Appointment], field: str = "last_name") -> None:
    """Give the first residents names that start like formulas, one payload each."""
    assert len(appointments) >= len(PAYLOADS)
    for appt, payload in zip(appointments, PAYLOADS, strict=False):
        Person.objects.filter(pk=appt.person_id).update(**{field: payload})


# --- The helper -----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_safe_cell_quotes_text_that_starts_like_a_formula_and_unquote_cell_undoes_it(payload):
    assert safe_cell(payload) == "'" + payload
    assert unquote_cell(safe_cell(payload)) == payload


@pytest.mark.parametrize("value", [-1, -2.5, 0, dt.date(2026, 7, 1), None, "Smith", "", "'ok"])
def test_safe_cell_leaves_numbers_dates_and_plain_text_alone(value):
    assert safe_cell(value) == value
    if isinstance(value, str):
        assert unquote_cell(value) == value


def test_the_csv_writer_quotes_text_but_writes_numbers_as_numbers():
    buf = io.StringIO()
    csv_writer(buf).writerow(["=1+1", -1, "-1"])
    assert buf.getvalue().strip() == "'=1+1,-1,'-1"


# --- The exports ----------------------------------------------------------------------------


def test_the_schedule_csv_neutralises_formulas(as_user, solved):
    sy = solved.schedule_year
    name_residents(
        list(Appointment.objects.filter(rotation_assignments__version=solved).distinct())
    )
    url = f"/schedules/{sy.program.slug}/{sy.pk}/schedule.csv?v={solved.pk}"
    r = as_user("chief").get(url)
    assert r.status_code == 200
    assert_csv_neutralised(r.content)


def test_the_schedule_xlsx_neutralises_formulas_and_holds_none(as_user, solved):
    sy = solved.schedule_year
    name_residents(
        list(Appointment.objects.filter(rotation_assignments__version=solved).distinct())
    )
    Rotation.objects.filter(program=sy.program).update(name="=1+1")  # the legend sheet
    url = f"/schedules/{sy.program.slug}/{sy.pk}/schedule.xlsx?v={solved.pk}"
    r = as_user("chief").get(url)
    assert r.status_code == 200
    assert_xlsx_neutralised(r.content)
    assert "'=1+1" in [c.value for c in xlsx_cells(r.content)]


def test_the_meal_cards_csv_neutralises_formulas(as_user, future_block, put, im):
    roster = future_block.roster
    call = future_block.template("micu", "call")
    weekend = [d for d in roster.days if d.weekday() == 5]
    people = [a for rot in future_block.rotation_people.values() for a in rot]
    if len(people) < len(PAYLOADS) or not weekend:
        pytest.skip("not enough residents or no Saturday in the block")
    month = weekend[0].replace(day=1)
    for appt in people[: len(PAYLOADS)]:
        put(roster, appt, call, weekend[0])
    name_residents(people)
    r = as_user("coordinator").get(f"/rosters/{im.slug}/meals.csv?month={month:%Y-%m}")
    assert r.status_code == 200
    assert_csv_neutralised(r.content)


def trainees(im: Any) -> list[Appointment]:
    return list(Appointment.objects.filter(program=im, kind="trainee").order_by("pk"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_trainee_roster_export_neutralises_formulas_and_re_imports_to_no_changes(
    users, im, fmt
):
    name_residents(trainees(im), field="preferred_name")
    export = do_export_roster(users["coordinator"], im, fmt)
    if fmt == "csv":
        assert_csv_neutralised(export.content)
    else:
        assert_xlsx_neutralised(export.content)
        # XML itself reads a carriage return back as a line feed (in any XLSX, quoted or not).
        Person.objects.filter(preferred_name="\rlead").update(preferred_name="\nlead")
    result = do_import_roster(users["coordinator"], im, export.file_name, export.content)
    assert (result.created, result.updated) == (0, 0), [str(e) for e in result.errors]


# --- Every export goes through the helper ----------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]  # the meded package
HELPER = ROOT / "core" / "spreadsheet.py"


def _calls(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                names.add(f"{f.value.id}.{f.attr}")
            elif isinstance(f, ast.Name):
                names.add(f.id)
    return names


def _sources() -> list[Path]:
    return [
        p
        for p in ROOT.rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts and p != HELPER
    ]


def test_no_module_writes_csv_except_through_the_spreadsheet_helper():
    raw = [
        str(p.relative_to(ROOT))
        for p in _sources()
        if _calls(ast.parse(p.read_text())) & {"csv.writer", "csv.DictWriter"}
    ]
    assert raw == [], "write CSV with meded.core.spreadsheet.csv_writer"


def test_every_module_that_builds_a_workbook_uses_the_spreadsheet_helper():
    for p in _sources():
        text = p.read_text()
        calls = _calls(ast.parse(text))
        if calls & {"Workbook", "openpyxl.Workbook"}:
            assert "meded.core.spreadsheet" in text, f"{p.relative_to(ROOT)} builds a workbook"
