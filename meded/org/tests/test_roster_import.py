"""The roster import: reading, checking, all-or-nothing writes, idempotence and the audit."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meded.audit.models import AuditEntry
from meded.org.actions import do_import_roster
from meded.org.models import AcademicYear, Appointment, Person, Site, Track, TraineeYear
from meded.org.tests.roster_files import csv_bytes, resident, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(users):
    return users["coordinator"]


def code_of(code):
    return Track.objects.get(program__slug="internal-medicine", code=code).pk


def site_id(code):
    return Site.objects.get(code=code).pk


def run(user, program, data, name="roster.csv", **kw):
    return do_import_roster(user, program, name, data, **kw)


def counts():
    return Person.objects.count(), Appointment.objects.count(), AuditEntry.objects.count()


def messages(result):
    return [str(e) for e in result.errors]


# --- Good files -----------------------------------------------------------------------------


def test_it_imports_new_residents_with_a_person_an_appointment_and_this_years_pgy(coordinator, im):
    data = csv_bytes([resident(1), resident(2, track="primary-care", pgy=2)])
    result = run(coordinator, im, data)
    assert result.ok, messages(result)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    p = Person.objects.get(email="new.resident2@hospital.example")
    assert (p.first_name, p.last_name, p.external_id, p.kind) == (
        "First2",
        "Last2",
        "NEW000002",
        "trainee",
    )
    a = Appointment.objects.get(person=p, program=im)
    assert a.kind == "trainee" and a.track_id == code_of("primary-care") and a.status == "active"
    assert a.continuity_site_id == site_id("ima") and a.institution_id == im.institution_id
    year = AcademicYear.containing(timezone.localdate())
    assert TraineeYear.objects.get(appointment=a, academic_year=year).pgy == 2
    # Blank dates: PGY-2 started July 1 a year before this academic year; 3 clinical years.
    assert year is not None
    assert a.start_date == dt.date(year.start_date.year - 1, 7, 1)
    assert a.end_date == dt.date(year.start_date.year + 2, 6, 30)


def test_it_reads_an_xlsx_roster_with_real_date_cells(coordinator, im):
    row = resident(3, start_date=dt.date(2025, 7, 1), end_date=dt.date(2028, 6, 30), pgy=2)
    result = run(coordinator, im, xlsx_bytes([row]), name="roster.xlsx")
    assert result.ok, messages(result)
    a = Appointment.objects.get(person__email="new.resident3@hospital.example")
    assert (a.start_date, a.end_date) == (dt.date(2025, 7, 1), dt.date(2028, 6, 30))


def test_it_matches_headers_ignoring_case_and_spaces_and_accepts_us_dates(coordinator, im):
    columns = ["email", "first_name", "last_name", "track", "pgy", "start_date"]
    header = ["  E-Mail ", "First Name", "LAST NAME", "Track", "PGY", "Start Date"]
    row = resident(4, track="Primary Care", pgy="PGY-1", start_date="7/1/2026")
    result = run(coordinator, im, csv_bytes([row], columns=columns, header=header))
    assert result.ok, messages(result)
    a = Appointment.objects.get(person__email="new.resident4@hospital.example")
    assert a.track_id == code_of("primary-care") and a.start_date == dt.date(2026, 7, 1)


def test_it_tolerates_a_cp1252_csv_from_old_excel(coordinator, im):
    data = csv_bytes([resident(5, first_name="José", last_name="Núñez")], encoding="cp1252")
    result = run(coordinator, im, data)
    assert result.ok, messages(result)
    assert Person.objects.filter(first_name="José", last_name="Núñez").exists()


def test_it_reads_a_utf8_csv_with_a_byte_order_mark(coordinator, im):
    data = "\ufeff".encode() + csv_bytes([resident(6, first_name="Zoë")])
    result = run(coordinator, im, data)
    assert result.ok, messages(result)
    assert Person.objects.filter(first_name="Zoë").exists()


# --- Bad files: each error names the row and the column -------------------------------------


def test_it_rejects_a_roster_with_a_bad_date_naming_row_and_column(coordinator, im):
    data = csv_bytes([resident(1), resident(2, start_date="2025-13-01")])
    result = run(coordinator, im, data)
    assert messages(result) == [
        "Row 3, start_date: '2025-13-01' is not a date (use YYYY-MM-DD or M/D/YYYY)"
    ]


def test_it_rejects_an_unknown_track_listing_the_programs_tracks(coordinator, im):
    result = run(coordinator, im, csv_bytes([resident(1, track="Surgical")]))
    [error] = result.errors
    assert (error.row, error.column) == (2, "track")
    assert "'Surgical' is not a track of Internal Medicine Residency Program" in error.message
    assert "categorical" in error.message


def test_it_rejects_a_file_missing_a_required_column_with_one_file_level_error(coordinator, im):
    columns = [c for c in resident(1) if c != "pgy"]
    result = run(coordinator, im, csv_bytes([resident(1), resident(2)], columns=columns))
    assert len(result.errors) == 1
    assert result.errors[0].row is None
    assert "pgy" in result.errors[0].message and "missing" in result.errors[0].message


def test_it_rejects_an_email_that_appears_twice_in_the_file(coordinator, im):
    data = csv_bytes(
        [resident(1), resident(2), resident(3, email="NEW.RESIDENT1@hospital.example")]
    )
    result = run(coordinator, im, data)
    assert messages(result) == [
        "Row 4, email: new.resident1@hospital.example appears more than once in the file "
        "(first on row 2)"
    ]


def test_it_rejects_an_email_of_a_person_on_file_with_a_different_external_id(coordinator, im):
    resident_on_file = Person.objects.get(external_id="T00000002")
    row = resident(1, email=resident_on_file.email, external_id="OTHER-ID-1")
    result = run(coordinator, im, csv_bytes([row]))
    [error] = result.errors
    assert (error.row, error.column) == (2, "email")
    assert "different external id (T00000002, not OTHER-ID-1)" in error.message


def test_it_rejects_an_email_owned_by_another_person_than_the_external_id_matches(coordinator, im):
    other = Person.objects.filter(kind="faculty").exclude(email=None).first()
    assert other is not None
    row = resident(1, external_id="T00000002", email=other.email)
    [error] = run(coordinator, im, csv_bytes([row])).errors
    assert error.column == "email" and "already belongs to another person" in error.message


def test_it_rejects_a_pgy_out_of_the_programs_range(coordinator, im):
    result = run(coordinator, im, csv_bytes([resident(1), resident(2), resident(3, pgy=5)]))
    assert messages(result) == ["Row 4, pgy: 5 is out of range for this program (PGY 1-3)"]


def test_it_rejects_a_pgy_beyond_the_tracks_clinical_years(coordinator, im):
    data = csv_bytes(
        [
            resident(1, track="preliminary", pgy=2, continuity_site=""),
            resident(2, track="psp-short", pgy=3, continuity_site=""),
        ]
    )
    assert messages(run(coordinator, im, data)) == [
        "Row 2, pgy: 2 is out of range for the Preliminary track (PGY 1 only)",
        "Row 3, pgy: 3 is out of range for the Physician-Scientist Pathway (short track) track "
        "(PGY 1-2)",
    ]


def test_it_rejects_a_continuity_site_that_does_not_offer_the_track(coordinator, im):
    downtown = Site.objects.get(code="downtown")  # categorical only
    row = resident(1, track="primary-care", continuity_site="downtown")
    [error] = run(coordinator, im, csv_bytes([row])).errors
    assert (
        str(error)
        == f"Row 2, continuity_site: {downtown.name} does not offer the Primary Care track"
    )


def test_it_rejects_an_end_date_before_the_start_date(coordinator, im):
    row = resident(1, start_date="2026-07-01", end_date="2025-06-30")
    [error] = run(coordinator, im, csv_bytes([row])).errors
    assert (error.row, error.column) == (2, "end_date") and "not after the start" in error.message


def test_it_rejects_bad_status_npi_and_email_values_on_one_pass(coordinator, im):
    row = resident(1, status="graduated", npi="12345", email="not-an-email", first_name="")
    result = run(coordinator, im, csv_bytes([row]))
    assert {e.column for e in result.errors} == {"status", "npi", "email", "first_name"}
    assert all(e.row == 2 for e in result.errors)


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("roster.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG image"),
        ("roster.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF document"),
        ("roster.xlsx", b"just,some,text\n", "not an Excel workbook"),
        ("roster.xlsx", b"PK\x03\x04 this is not really a zip", "not a readable Excel workbook"),
        ("roster.csv", b"", "empty"),
        ("roster.csv", b"\n\n  \n", "empty"),
    ],
)
def test_it_explains_a_file_that_is_not_a_roster_without_a_traceback(
    coordinator, im, name, data, words
):
    before = counts()
    result = run(coordinator, im, data, name=name)
    [error] = result.errors
    assert error.row is None and words in error.message
    assert "Traceback" not in error.message
    assert counts() == before


def test_it_rejects_a_header_only_file(coordinator, im):
    [error] = run(coordinator, im, csv_bytes([])).errors
    assert "no residents" in error.message


def test_it_rejects_a_file_over_the_upload_limit(coordinator, im, settings):
    settings.MEDED_MAX_UPLOAD_BYTES = 1000
    data = csv_bytes([resident(n) for n in range(40)])
    assert len(data) > 1000
    [error] = run(coordinator, im, data).errors
    assert "the most allowed is" in error.message


# --- All or nothing, idempotence, the audit -------------------------------------------------


def test_one_bad_row_writes_nothing_at_all_and_every_error_is_returned(coordinator, im):
    before = counts()
    rows = [resident(n) for n in range(1, 30)]
    rows[10]["pgy"] = 9
    rows[20]["track"] = "nope"
    result = run(coordinator, im, csv_bytes(rows))
    assert [(e.row, e.column) for e in result.errors] == [(12, "pgy"), (22, "track")]
    assert result.created == 0
    assert counts() == before
    assert not Person.objects.filter(email__endswith="@hospital.example").exists()


def test_re_importing_the_same_file_changes_nothing_and_writes_no_audit_entries(coordinator, im):
    data = csv_bytes([resident(n) for n in range(1, 6)])
    first = run(coordinator, im, data)
    assert first.created == 5
    before = counts()
    again = run(coordinator, im, data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert again.batch == ""
    assert counts() == before


def test_a_dry_run_counts_changes_and_writes_nothing(coordinator, im):
    before = counts()
    result = run(coordinator, im, csv_bytes([resident(1), resident(2)]), dry_run=True)
    assert result.ok and result.created == 2 and result.dry_run
    assert counts() == before


def test_audit_entries_carry_old_and_new_values_and_one_summary(coordinator, im):
    run(coordinator, im, csv_bytes([resident(1), resident(2)]))
    changed = resident(1, first_name="Renamed", pgy=2, status="leave")
    result = run(coordinator, im, csv_bytes([changed, resident(2)]))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    entries = AuditEntry.objects.filter(batch=result.batch)
    person = entries.get(object_type="org.person")
    assert person.action == "update" and person.changes == {"first_name": ["First1", "Renamed"]}
    assert person.actor == coordinator and person.program == im
    appt = entries.get(object_type="org.appointment")
    assert appt.changes == {"status": ["active", "leave"]}
    year = entries.get(object_type="org.traineeyear")
    assert year.changes == {"pgy": [1, 2]}
    summary = entries.get(action="import")
    assert summary.note == "Roster import roster.csv: 0 created, 1 updated, 1 unchanged"
    assert entries.count() == 4


def test_created_rows_are_audited_with_their_new_values(coordinator, im):
    result = run(coordinator, im, csv_bytes([resident(7)]))
    entries = AuditEntry.objects.filter(batch=result.batch)
    person = entries.get(object_type="org.person", action="create")
    assert person.changes["email"] == [None, "new.resident7@hospital.example"]
    appt = entries.get(object_type="org.appointment", action="create")
    assert appt.changes["track"] == [None, "Categorical"]
    assert entries.get(object_type="org.traineeyear").changes["pgy"] == [None, 1]
    assert entries.get(action="import").note.endswith("1 created, 0 updated, 0 unchanged")


def test_it_matches_on_external_id_and_updates_the_email(coordinator, im):
    res = Person.objects.get(external_id="T00000002")
    appt = Appointment.objects.get(person=res, program=im, kind="trainee")
    row = {
        "external_id": "T00000002",
        "email": "taylor.new@hospital.example",
        "first_name": res.first_name,
        "last_name": res.last_name,
        "track": Track.objects.get(appointments=appt).code,
        "pgy": 2,
    }
    columns = list(row)
    result = run(coordinator, im, csv_bytes([row], columns=columns))
    assert (result.created, result.updated) == (0, 1), messages(result)
    res.refresh_from_db()
    assert res.email == "taylor.new@hospital.example"
    appt.refresh_from_db()
    assert appt.continuity_site_id == site_id("ima")  # column absent: left as it was


def test_it_gives_an_existing_person_a_trainee_appointment_matched_by_email(coordinator, im):
    faculty = Person.objects.get(user__username="faculty")
    row = resident(
        1,
        email=faculty.email,
        external_id="",
        first_name=faculty.first_name,
        last_name=faculty.last_name,
        degrees=faculty.degrees,
        medical_school=faculty.medical_school,
    )
    result = run(coordinator, im, csv_bytes([row]))
    assert result.created == 1, messages(result)
    assert Person.objects.filter(email=faculty.email).count() == 1
    assert Appointment.objects.filter(person=faculty, kind="trainee", program=im).exists()


def test_only_program_managers_may_import(users, im, surgery):
    data = csv_bytes([resident(1)])
    for name in ("chief", "faculty", "resident", "outsider", "surgery-coordinator"):
        with pytest.raises(PermissionDenied):
            run(users[name], im, data)
    with pytest.raises(PermissionDenied):
        run(users["coordinator"], surgery, data)
    with pytest.raises(PermissionDenied):
        run(None, im, data)
    assert run(users["director"], im, data).created == 1


def test_a_5_mb_roster_imports_in_bulk_with_a_bounded_number_of_queries(coordinator, im):
    school = "University of Somewhere, School of Medicine and Graduate School of Public Health"
    rows = [
        resident(
            n,
            track=("categorical", "primary-care")[n % 2],
            pgy=1 + n % 3,
            first_name=f"Alexandra-Marie{n}",
            last_name=f"Vandenberghe-Okonkwo{n}",
            medical_school=school,
            preferred_name=f"Preferred{n}",
            npi=f"{1000000000 + n}",
            degrees="MD, PhD, MPH",
            start_date="",
            end_date="",
        )
        for n in range(1, 25001)
    ]
    data = csv_bytes(rows)
    assert len(data) >= 5_000_000
    with CaptureQueriesContext(connection) as ctx:
        result = run(coordinator, im, data)
    assert result.ok, messages(result)[:5]
    assert result.created == 25000
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith("INSERT")]
    others = [q for q in ctx.captured_queries if not q["sql"].startswith("INSERT")]
    # Lookups are preloaded in a few queries (2,000 keys each), never one per row.
    assert len(others) < 80
    # Inserts are bulk: hundreds of rows per statement (SQLite allows 999 parameters, so
    # about 60 people per statement there; PostgreSQL takes 1,000 per statement).
    per_statement = 50 if connection.vendor == "sqlite" else 900
    assert len(inserts) <= (25000 * 3 + 25000 * 3) // per_statement
    assert (
        Appointment.objects.filter(
            program=im, person__email__endswith="@hospital.example", kind="trainee"
        ).count()
        == 25000
    )
    assert AuditEntry.objects.filter(batch=result.batch).count() == 3 * 25000 + 1
    with CaptureQueriesContext(connection) as ctx:
        again = run(coordinator, im, data)
    assert (again.unchanged, again.created, again.updated) == (25000, 0, 0)
    assert len(ctx.captured_queries) < 80


# --- The command line -----------------------------------------------------------------------


def test_the_import_command_prints_each_error_and_exits_1(tmp_path, im):
    from django.core.management import CommandError, call_command

    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([resident(1, pgy=4), resident(2, start_date="soon")]))
    out = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_roster", str(path), "--program", im.slug, stdout=out)
    assert info.value.returncode == 1
    assert out.getvalue().splitlines() == [
        "Row 2, pgy: 4 is out of range for this program (PGY 1-3)",
        "Row 3, start_date: 'soon' is not a date (use YYYY-MM-DD or M/D/YYYY)",
    ]
    assert "2 problems found; nothing was changed" in str(info.value)


def test_the_import_command_records_system_or_checks_the_named_user(tmp_path, im):
    from django.core.management import CommandError, call_command

    path = tmp_path / "ok.csv"
    path.write_bytes(csv_bytes([resident(1)]))
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_roster", str(path), "--program", im.slug, "--as", "chief")
    out = io.StringIO()
    call_command("import_roster", str(path), "--program", im.slug, "--dry-run", stdout=out)
    assert "Check only: would be 1 created" in out.getvalue()
    assert not Person.objects.filter(email="new.resident1@hospital.example").exists()
    call_command("import_roster", str(path), "--program", im.slug, stdout=out)
    summary = AuditEntry.objects.get(action="import", note__contains="ok.csv")
    assert summary.actor is None and summary.actor_name == "system"
    assert "(command line)" in summary.note
    path.write_bytes(csv_bytes([resident(1, first_name="Changed")]))
    call_command("import_roster", str(path), "--program", im.slug, "--as", "director", stdout=out)
    entry = AuditEntry.objects.get(object_type="org.person", action="update")
    assert entry.actor_name == "director" and entry.actor_id is not None


def test_the_import_command_shows_a_progress_bar_for_large_files(tmp_path, im):
    from django.core.management import call_command

    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes([resident(n) for n in range(1, 2501)]))
    err = io.StringIO()
    call_command(
        "import_roster",
        str(path),
        "--program",
        im.slug,
        "--dry-run",
        stdout=io.StringIO(),
        stderr=err,
    )
    assert "row/s" in err.getvalue() or "it/s" in err.getvalue() or "%|" in err.getvalue()


def test_every_change_an_import_makes_is_filed_under_the_person_it_is_about(users, im):
    result = do_import_roster(users["coordinator"], im, "new.csv", csv_bytes([resident(1)]))
    assert result.ok, [str(e) for e in result.errors]
    person = Person.objects.get(email=resident(1)["email"])
    about = AuditEntry.objects.filter(batch=result.batch).exclude(action="import")
    assert sorted(about.values_list("object_type", flat=True)) == [
        "org.appointment",
        "org.person",
        "org.traineeyear",
    ]
    assert set(about.values_list("person_ref", flat=True)) == {person.pk}
