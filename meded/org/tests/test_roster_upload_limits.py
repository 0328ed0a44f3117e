"""An XLSX upload that declares or holds more than a roster could need, or inflates like a zip
bomb, is refused before openpyxl parses it, with a message a coordinator can act on, and
nothing is written. The files are built here byte by byte with zipfile (a workbook is a zip of
XML), so they are exactly what an attacker would send."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from meded.core.spreadsheet import SpreadsheetRefused, XlsxLimits, check_xlsx
from meded.jobs.models import Job
from meded.org import roster
from meded.org.actions import do_export_roster, do_import_roster
from meded.org.models import Person
from meded.org.roster import RosterFileError

pytestmark = pytest.mark.django_db

IMPORT = "/org/programs/internal-medicine/roster/import/"
API_IMPORT = "/api/programs/internal-medicine/roster/import"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = ["email", "first_name", "last_name", "track", "pgy"]
ONE_RESIDENT = ["new.resident1@hospital.example", "First1", "Last1", "categorical", "1"]


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _row(number: int, values: list[str]) -> str:
    cells = "".join(_cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def workbook(sheet_data: str, dimension: str | None = None, compress: bool = True) -> bytes:
    """A minimal valid workbook: one sheet 'Roster' holding `sheet_data` (rows of XML)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{NS}" xmlns:r="{REL}"><sheets>'
            '<sheet name="Roster" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{NS}">{dim}<sheetData>{sheet_data}</sheetData></worksheet>'
        ),
    }
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, text in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + text)
    return buf.getvalue()


def far_cell_workbook(dimension: str | None = "A1:XFD1048576") -> bytes:
    """A header row and one cell at XFD1048576, the last cell a sheet can have."""
    far = f'<row r="1048576">{_cell("XFD1048576", "x")}</row>'
    return workbook(_row(1, HEADER) + far, dimension=dimension)


def upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("roster.xlsx", data, content_type="application/octet-stream")


def test_the_crafted_file_is_small():
    assert len(far_cell_workbook()) < 2000


@pytest.mark.parametrize(
    "dimension", ["A1:XFD1048576", None, "A1:E2"], ids=["declared", "undeclared", "lying"]
)
def test_a_workbook_with_a_cell_at_xfd1048576_is_refused_before_it_is_parsed(dimension):
    with pytest.raises(RosterFileError) as e:
        roster.read_table("roster.xlsx", far_cell_workbook(dimension))
    assert "row 1,048,576" in e.value.message
    assert "100,000 rows and 200 columns" in e.value.message


def test_the_api_refuses_the_crafted_file_at_once_and_writes_no_job(as_user):
    r = as_user("coordinator").post(API_IMPORT, {"file": upload(far_cell_workbook())})
    assert r.status_code == 400
    assert "row 1,048,576" in r.json()["detail"]
    assert not Job.objects.exists()


def test_the_import_page_refuses_the_crafted_file_at_once_and_writes_no_job(as_user):
    r = as_user("coordinator").post(IMPORT, {"file": upload(far_cell_workbook(None))})
    assert r.status_code == 400
    assert "row 1,048,576" in r.content.decode()
    assert not Job.objects.exists()


def test_a_zip_bomb_is_refused_by_its_compression_ratio():
    # 4 MB of whitespace between two rows: valid XML that deflates about a thousand times.
    bomb = workbook(_row(1, HEADER) + " " * (4 * 1024 * 1024) + _row(2, ONE_RESIDENT))
    assert len(bomb) < 20_000
    with pytest.raises(RosterFileError, match="inflates"):
        roster.read_table("roster.xlsx", bomb)


def test_the_api_refuses_a_zip_bomb_and_writes_nothing(as_user):
    bomb = workbook(_row(1, HEADER) + " " * (4 * 1024 * 1024) + _row(2, ONE_RESIDENT))
    r = as_user("coordinator").post(API_IMPORT, {"file": upload(bomb)})
    assert r.status_code == 400 and "inflates" in r.json()["detail"]
    assert not Job.objects.exists()
    assert not Person.objects.filter(email="new.resident1@hospital.example").exists()


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused(settings):
    settings.MEDED_MAX_XLSX_UNCOMPRESSED_BYTES = 50_000
    data = workbook(_row(1, HEADER) + "".join(_row(n, ONE_RESIDENT) for n in range(2, 600)))
    with pytest.raises(RosterFileError, match="unpacks to"):
        roster.read_table("roster.xlsx", data)


def test_a_workbook_with_more_cells_than_the_limit_is_refused(settings, users, im):
    settings.MEDED_MAX_XLSX_CELLS = 20
    export = do_export_roster(users["coordinator"], im, "xlsx")
    with pytest.raises(RosterFileError, match="more than 20 cells"):
        roster.read_table(export.file_name, export.content)


def test_a_sheet_with_a_dtd_is_refused_as_damaged():
    data = workbook(_row(1, HEADER))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        "<worksheet", '<!DOCTYPE worksheet [<!ENTITY a "aaaa">]><worksheet', 1
    ).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in parts.items():
            z.writestr(name, content)
    with pytest.raises(SpreadsheetRefused, match="damaged"):
        check_xlsx(buf.getvalue())


def test_rows_are_read_as_they_are_never_padded_to_the_declared_dimension():
    # Within the limits, but declaring 200 columns and 99,999 rows for two rows of five.
    data = workbook(_row(1, HEADER) + _row(2, ONE_RESIDENT), dimension="A1:GR99999")
    rows = list(roster._xlsx_rows(data))
    assert [len(cells) for _, cells in rows] == [5, 5]
    table = roster.read_table("roster.xlsx", data)
    assert [values["email"] for _, values in table.rows] == [ONE_RESIDENT[0]]


def test_an_ordinary_export_passes_the_checks_and_re_imports_to_no_changes(users, im):
    export = do_export_roster(users["coordinator"], im, "xlsx")
    check_xlsx(export.content)
    result = do_import_roster(users["coordinator"], im, export.file_name, export.content)
    assert (result.created, result.updated) == (0, 0), [str(e) for e in result.errors]


def test_the_limits_come_from_the_settings(settings):
    settings.MEDED_MAX_XLSX_ROWS = 7
    settings.MEDED_MAX_XLSX_COLUMNS = 3
    limits = XlsxLimits.from_settings()
    assert (limits.rows, limits.columns) == (7, 3)
    with pytest.raises(SpreadsheetRefused, match="7 rows and 3 columns"):
        check_xlsx(workbook(_row(1, HEADER)))
