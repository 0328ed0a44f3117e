"""The roster export: the import's own format, so an export re-imports to "no changes"."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.management import call_command

from meded.audit.models import AuditEntry
from meded.org.actions import do_export_roster, do_import_roster, roster_template
from meded.org.models import Appointment, Person
from meded.org.roster import COLUMN_NAMES
from meded.org.tests.roster_files import csv_bytes, read_csv, resident

pytestmark = pytest.mark.django_db


def im_trainees(im):
    return Appointment.objects.filter(program=im, kind="trainee")


def test_the_csv_export_lists_every_resident_in_the_template_columns(users, im):
    export = do_export_roster(users["coordinator"], im, "csv")
    rows = read_csv(export.content)
    assert list(rows[0]) == COLUMN_NAMES
    assert len(rows) == im_trainees(im).count() == export.rows
    taylor = next(r for r in rows if r["external_id"] == "T00000002")
    assert (taylor["first_name"], taylor["track"], taylor["pgy"], taylor["continuity_site"]) == (
        "Taylor",
        "categorical",
        "2",
        "ima",
    )
    assert export.file_name.startswith("internal-medicine-roster-")


def test_an_export_re_imports_to_no_changes_in_csv_and_xlsx(users, im):
    for fmt in ("csv", "xlsx"):
        export = do_export_roster(users["coordinator"], im, fmt)
        entries = AuditEntry.objects.count()
        result = do_import_roster(users["coordinator"], im, export.file_name, export.content)
        assert result.ok, [str(e) for e in result.errors]
        assert (result.created, result.updated) == (0, 0)
        assert result.unchanged == im_trainees(im).count()
        assert AuditEntry.objects.count() == entries


def test_an_edited_export_re_imports_only_the_edit(users, im):
    rows = read_csv(do_export_roster(users["coordinator"], im, "csv").content)
    rows[0]["preferred_name"] = "Nick"
    result = do_import_roster(users["coordinator"], im, "edited.csv", csv_bytes(rows))
    assert (result.created, result.updated, result.unchanged) == (0, 1, len(rows) - 1)
    assert Person.objects.get(email=rows[0]["email"]).preferred_name == "Nick"


def test_the_xlsx_export_has_a_roster_sheet_and_a_columns_sheet(users, im):
    export = do_export_roster(users["director"], im, "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(export.content), read_only=True)
    assert wb.sheetnames == ["Roster", "Columns"]
    header = next(wb["Roster"].iter_rows(values_only=True))
    assert list(header) == COLUMN_NAMES
    assert len(list(wb["Roster"].iter_rows(values_only=True))) == im_trainees(im).count() + 1


def test_an_export_is_recorded_in_the_audit_log(users, im):
    do_export_roster(users["coordinator"], im, "csv")
    entry = AuditEntry.objects.filter(action="export").latest("at")
    assert entry.actor == users["coordinator"] and entry.program == im
    assert entry.note.startswith("Roster export (csv)")


def test_the_xlsx_template_documents_every_column_with_allowed_values_and_examples(im):
    wb = openpyxl.load_workbook(io.BytesIO(roster_template("xlsx", im).content))
    assert [c.value for c in wb["Roster"][1]] == COLUMN_NAMES
    doc = list(wb["Columns"].iter_rows(values_only=True))
    assert doc[0] == ("Column", "Required", "What it is", "Allowed values", "Example")
    assert [r[0] for r in doc[1:]] == COLUMN_NAMES
    track = next(r for r in doc if r[0] == "track")
    assert "preliminary (Preliminary)" in track[3]
    assert all(r[2] and r[3] and r[4] for r in doc[1:])


def test_the_csv_template_has_the_header_and_note_rows_that_import_as_nothing(users, im):
    content = roster_template("csv").content
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == COLUMN_NAMES
    assert all(line.startswith('"# ') or line.startswith("# ") for line in lines[1:])
    result = do_import_roster(
        users["coordinator"],
        im,
        "t.csv",
        content + csv_bytes([resident(1)])[len(",".join(COLUMN_NAMES)) + 2 :],
    )
    assert result.created == 1, [str(e) for e in result.errors]


def test_only_program_managers_may_export(users, im):
    from django.core.exceptions import PermissionDenied

    for name in ("chief", "faculty", "resident", "outsider", "surgery-coordinator"):
        with pytest.raises(PermissionDenied):
            do_export_roster(users[name], im, "csv")


def test_the_export_command_writes_a_file_that_the_import_command_reads_unchanged(tmp_path, im):
    out = tmp_path / "im.csv"
    call_command("export_roster", "--program", im.slug, "--output", str(out))
    assert len(read_csv(out.read_bytes())) == im_trainees(im).count()
    entry = AuditEntry.objects.filter(action="export").latest("at")
    assert entry.actor is None and entry.actor_name == "system"
    assert "(command line)" in entry.note
    buf = io.StringIO()
    call_command("import_roster", str(out), "--program", im.slug, stdout=buf)
    assert "0 created, 0 updated" in buf.getvalue()


def test_a_name_that_looks_like_a_formula_is_exported_as_text_and_re_imports_unchanged(users, im):
    person = Person.objects.get(user__username="resident")
    Person.objects.filter(pk=person.pk).update(preferred_name='=HYPERLINK("http://x","y")')
    csv_export = do_export_roster(users["coordinator"], im, "csv")
    assert b"'=HYPERLINK" in csv_export.content
    xlsx_export = do_export_roster(users["coordinator"], im, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_export.content))["Roster"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert [c.data_type for c in cells] == ["s"]
    for export in (csv_export, xlsx_export):
        result = do_import_roster(users["coordinator"], im, export.file_name, export.content)
        assert (result.created, result.updated) == (0, 0), [str(e) for e in result.errors]
