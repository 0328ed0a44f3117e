"""The roster import page, export downloads, templates and the roster API, with access."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from meded.audit.models import AuditEntry
from meded.jobs.models import Job
from meded.org.models import Person
from meded.org.tests.roster_files import csv_bytes, read_csv, resident

pytestmark = pytest.mark.django_db

IMPORT = "/org/programs/internal-medicine/roster/import/"
EXPORT_CSV = "/org/programs/internal-medicine/roster/export.csv"
EXPORT_XLSX = "/org/programs/internal-medicine/roster/export.xlsx"
API_IMPORT = "/api/programs/internal-medicine/roster/import"
API_EXPORT = "/api/programs/internal-medicine/roster/export"
MANAGERS = ["coordinator", "director", "gme-admin"]
# Users who see the program but may not manage it (403), and users who do not see it (404).
VIEWERS_ONLY = ["chief", "faculty"]
STRANGERS = ["outsider", "surgery-coordinator", "resident"]


def upload(data: bytes, name: str = "roster.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [IMPORT, EXPORT_CSV, EXPORT_XLSX, "/org/roster-template.csv"])
def test_anonymous_visitors_are_sent_to_sign_in(as_user, url):
    r = as_user(None).get(url)
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


@pytest.mark.parametrize("url", [IMPORT, EXPORT_CSV, EXPORT_XLSX])
@pytest.mark.parametrize("name", MANAGERS)
def test_program_managers_open_the_import_page_and_the_exports(as_user, url, name):
    assert as_user(name).get(url).status_code == 200


@pytest.mark.parametrize("url", [IMPORT, EXPORT_CSV, EXPORT_XLSX])
@pytest.mark.parametrize("name", VIEWERS_ONLY)
def test_chief_and_faculty_are_refused_the_import_page_and_the_exports(as_user, url, name):
    assert as_user(name).get(url).status_code == 403


@pytest.mark.parametrize("url", [IMPORT, EXPORT_CSV, EXPORT_XLSX])
@pytest.mark.parametrize("name", STRANGERS)
def test_users_outside_the_program_get_not_found(as_user, url, name):
    assert as_user(name).get(url).status_code == 404


def test_the_surgery_coordinator_can_import_their_own_program_only(as_user, surgery):
    client = as_user("surgery-coordinator")
    assert client.get(f"/org/programs/{surgery.slug}/roster/import/").status_code == 200
    r = client.post(IMPORT, {"file": upload(csv_bytes([resident(1)]))})
    assert r.status_code == 404
    assert not Person.objects.filter(email="new.resident1@hospital.example").exists()


def test_the_outsider_may_not_download_templates_but_anyone_with_a_role_may(as_user):
    assert as_user("outsider").get("/org/roster-template.csv").status_code == 403
    r = as_user("resident").get("/org/roster-template.xlsx")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")


# --- The import page ------------------------------------------------------------------------


def test_the_import_page_has_the_upload_the_check_only_box_templates_and_columns(as_user):
    r = as_user("coordinator").get(IMPORT)
    html = r.content.decode()
    assert 'type="file"' in html and 'enctype="multipart/form-data"' in html
    assert "Check only (write nothing)" in html
    assert "/org/roster-template.xlsx" in html and "/org/roster-template.csv" in html
    for column in ("external_id", "continuity_site", "npi"):
        assert f"<code>{column}</code>" in html
    assert "preliminary" in html  # the program's tracks


def test_uploading_a_roster_runs_a_job_and_shows_its_result(as_user, users):
    client = as_user("coordinator")
    r = client.post(IMPORT, {"file": upload(csv_bytes([resident(1), resident(2)]))})
    job = Job.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/jobs/{job.pk}/"
    assert job.kind == "roster_import" and job.status == "succeeded"
    assert job.created_by_id == users["coordinator"].pk and job.options == {"dry_run": False}
    assert job.task_id
    page = client.get(r["Location"]).content.decode()
    assert "2 created, 0 updated, 0 unchanged" in page
    assert Person.objects.filter(email__endswith="@hospital.example").count() == 2


def test_check_only_reports_what_would_change_and_writes_nothing(as_user):
    before = AuditEntry.objects.count()
    r = as_user("coordinator").post(
        IMPORT, {"file": upload(csv_bytes([resident(1)])), "dry_run": "1"}, follow=True
    )
    assert "Check only: nothing was written" in r.content.decode()
    assert Job.objects.get().result["created"] == 1
    assert not Person.objects.filter(email__endswith="@hospital.example").exists()
    assert AuditEntry.objects.count() == before


def test_the_upload_refuses_a_picture_at_once_with_a_clear_message(as_user):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    r = as_user("coordinator").post(IMPORT, {"file": upload(png, "roster.csv")})
    assert r.status_code == 400
    assert "PNG image, not a spreadsheet" in r.content.decode()
    assert not Job.objects.exists()


def test_the_upload_refuses_a_file_over_the_limit(as_user, settings):
    settings.MEDED_MAX_UPLOAD_BYTES = 500
    r = as_user("coordinator").post(
        IMPORT, {"file": upload(csv_bytes([resident(n) for n in range(20)]))}
    )
    assert r.status_code == 400 and "the most allowed is" in r.content.decode()
    assert not Job.objects.exists()


def test_the_upload_without_a_file_asks_for_one(as_user):
    r = as_user("coordinator").post(IMPORT, {})
    assert r.status_code == 400 and "Choose a roster file" in r.content.decode()


def test_a_roster_with_errors_shows_a_row_column_problem_table(as_user):
    data = csv_bytes([resident(1), resident(2, pgy=7)])
    r = as_user("coordinator").post(IMPORT, {"file": upload(data)}, follow=True)
    html = r.content.decode()
    assert "1 problem found; nothing was changed" in html
    assert "<th>Row</th><th>Column</th><th>Problem</th>" in html
    assert "<td>3</td><td>pgy</td><td>7 is out of range for this program (PGY 1-3)</td>" in html
    assert not Person.objects.filter(email__endswith="@hospital.example").exists()


# --- Exports --------------------------------------------------------------------------------


def test_the_export_download_is_an_attachment_and_is_audited(as_user, im, users):
    r = as_user("director").get(EXPORT_CSV)
    assert r["Content-Disposition"].startswith('attachment; filename="internal-medicine-roster-')
    rows = read_csv(r.content)
    assert any(row["external_id"] == "T00000002" for row in rows)
    entry = AuditEntry.objects.filter(action="export").latest("at")
    assert entry.actor == users["director"] and entry.program == im


# --- API ------------------------------------------------------------------------------------


def test_the_api_import_queues_a_job_and_returns_its_id_and_status(as_user):
    client = as_user("coordinator")
    r = client.post(API_IMPORT, {"file": upload(csv_bytes([resident(1)])), "dry_run": "true"})
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["status"] == "succeeded" and body["result"]["created"] == 1
    assert body["result"]["dry_run"] is True
    assert client.get(f"/api/jobs/{body['id']}").json()["percent"] == 100
    assert not Person.objects.filter(email__endswith="@hospital.example").exists()


def test_the_api_import_refuses_a_pdf_with_400(as_user):
    r = as_user("coordinator").post(API_IMPORT, {"file": upload(b"%PDF-1.4\n...", "r.xlsx")})
    assert r.status_code == 400 and "PDF document" in r.json()["detail"]


@pytest.mark.parametrize(
    ("name", "status"),
    [
        (None, 401),
        ("outsider", 404),
        ("surgery-coordinator", 404),
        ("resident", 404),
        ("chief", 403),
        ("faculty", 403),
    ],
)
def test_the_roster_api_refuses_everyone_but_program_managers(as_user, name, status):
    client = as_user(name)
    r = client.post(API_IMPORT, {"file": upload(csv_bytes([resident(1)]))})
    assert r.status_code == status
    assert client.get(API_EXPORT).status_code == status
    assert not Job.objects.exists()


def test_the_api_exports_csv_and_xlsx(as_user):
    client = as_user("gme-admin")
    csv_response = client.get(API_EXPORT, {"format": "csv"})
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    xlsx = client.get(API_EXPORT, {"format": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    assert client.get(API_EXPORT, {"format": "pdf"}).status_code == 400


def test_the_api_template_needs_a_role(as_user):
    assert as_user(None).get("/api/roster-template").status_code == 401
    assert as_user("outsider").get("/api/roster-template").status_code == 403
    r = as_user("coordinator").get("/api/roster-template", {"format": "csv"})
    assert r.status_code == 200 and r.content.decode("utf-8-sig").startswith("external_id,email")
