"""The audit log screen and API: scope, filters, keyset pages, local time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meded.audit import log as audit
from meded.audit.models import AuditEntry
from meded.org.actions import do_import_roster
from meded.org.models import Person
from meded.org.tests.roster_files import csv_bytes, resident
from meded.schedules.tests.conftest import sy

__all__ = ["sy"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(users, im):
    """Two residents imported by the coordinator: 7 entries in one batch."""
    return do_import_roster(
        users["coordinator"], im, "roster.csv", csv_bytes([resident(1), resident(2)])
    )


@pytest.fixture
def surgery_entry(users, surgery):
    return audit.record(
        users["surgery-coordinator"],
        "program.updated",
        surgery,
        program=surgery,
        changes={"description": ["old text", "new text"]},
    )


def shown(response):
    return [e.pk for e in response.context["page"].entries]


@pytest.mark.parametrize("name", ["chief", "faculty", "resident", "outsider"])
def test_users_who_manage_no_program_are_refused_the_audit_log(as_user, name):
    assert as_user(name).get("/audit/").status_code == 403
    assert as_user(name).get("/api/audit/entries").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in_or_get_401(as_user):
    r = as_user(None).get("/audit/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert as_user(None).get("/api/audit/entries").status_code == 401


def test_the_gme_office_sees_every_entry_newest_first(as_user, imported, surgery_entry):
    r = as_user("gme-admin").get("/audit/")
    ids = shown(r)
    assert ids[0] == surgery_entry.pk
    assert set(AuditEntry.objects.filter(batch=imported.batch).values_list("pk", flat=True)) <= set(
        ids
    )
    entries = r.context["page"].entries
    assert [(e.at, e.pk) for e in entries] == sorted(((e.at, e.pk) for e in entries), reverse=True)
    # Entries without a program (the demo load) are the GME office's too.
    assert AuditEntry.objects.filter(program=None).values_list("pk", flat=True)[0] in ids


@pytest.mark.parametrize("name", ["coordinator", "director"])
def test_program_managers_see_only_their_programs_entries(
    as_user, imported, surgery_entry, im, name
):
    r = as_user(name).get("/audit/")
    assert r.status_code == 200
    ids = shown(r)
    assert surgery_entry.pk not in ids
    assert AuditEntry.objects.filter(pk__in=ids).exclude(program=im).count() == 0
    assert len(ids) == 7


def test_the_surgery_coordinator_sees_no_internal_medicine_entries(
    as_user, imported, surgery_entry
):
    r = as_user("surgery-coordinator").get("/audit/")
    assert shown(r) == [surgery_entry.pk]
    assert (
        as_user("surgery-coordinator")
        .get("/audit/", {"program": "internal-medicine"})
        .context["page"]
        .entries
        == []
    )
    api = as_user("surgery-coordinator").get("/api/audit/entries").json()
    assert [i["id"] for i in api["items"]] == [surgery_entry.pk]


def test_the_log_shows_who_when_in_new_york_time_action_object_and_old_new(as_user, users, im):
    person = Person.objects.get(external_id="T00000002")
    entry = audit.record(
        users["coordinator"],
        "person.updated",
        person,
        program=im,
        changes={"first_name": ["Taylor", "Tay"]},
    )
    at = dt.datetime(2026, 1, 15, 17, 5, 9, tzinfo=dt.UTC)
    AuditEntry.objects.filter(pk=entry.pk).update(at=at)
    html = (
        as_user("coordinator")
        .get("/audit/", {"object_id": str(person.pk), "object_type": "org.person"})
        .content.decode()
    )
    assert "2026-01-15 12:05:09" in html  # 17:05 UTC is 12:05 in New York (EST)
    assert "coordinator" in html and "Updated" in html
    assert f'href="/org/people/{person.pk}/"' in html
    assert '<span class="diff-old">Taylor</span> → <span class="diff-new">Tay</span>' in html
    assert at.astimezone(ZoneInfo("America/New_York")).hour == 12


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"action": "import"}, {"import"}),
        ({"object_type": "org.traineeyear"}, {"create"}),
        ({"user": "coordinator"}, {"create", "import"}),
        ({"user": "director"}, set()),
        ({"program": "internal-medicine", "action": "create"}, {"create"}),
    ],
)
def test_filters_narrow_the_log(as_user, imported, params, expected):
    page = as_user("gme-admin").get("/audit/", {**params, "batch": imported.batch}).context["page"]
    assert {e.action for e in page.entries} == expected


def test_the_date_range_is_in_local_days(as_user, users, im):
    entry = audit.record(
        users["coordinator"], "program.updated", im, program=im, changes={"x": [1, 2]}
    )
    # 03:30 UTC on Jan 16 is still Jan 15 in New York.
    AuditEntry.objects.filter(pk=entry.pk).update(at=dt.datetime(2026, 1, 16, 3, 30, tzinfo=dt.UTC))
    client = as_user("coordinator")
    on_15 = client.get("/audit/", {"date_from": "2026-01-15", "date_to": "2026-01-15"})
    assert shown(on_15) == [entry.pk]
    on_16 = client.get("/audit/", {"date_from": "2026-01-16", "date_to": "2026-01-16"})
    assert entry.pk not in shown(on_16)
    bad = client.get("/audit/", {"date_from": "15/01/2026"})
    assert "is not a date" in bad.content.decode()


def test_pages_hold_50_entries_and_walk_back_with_a_cursor_without_counting(as_user, users, im):
    AuditEntry.objects.bulk_create(
        [
            audit.build(
                users["coordinator"],
                "program.updated",
                im,
                program=im,
                changes={"n": [i, i + 1]},
                note=f"entry {i}",
            )
            for i in range(120)
        ]
    )
    client = as_user("coordinator")
    seen: list[int] = []
    params: dict[str, str] = {"program": "internal-medicine"}
    pages = 0
    while True:
        with CaptureQueriesContext(connection) as ctx:
            r = client.get("/audit/", params)
        assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)
        page = r.context["page"]
        assert len(page.entries) <= 50
        seen += shown(r)
        pages += 1
        if not page.next_cursor:
            break
        assert f"before={page.next_cursor}" in r.content.decode().replace("%3A", ":").replace(
            "%2B", "+"
        )
        params["before"] = page.next_cursor
    expected = list(
        AuditEntry.objects.filter(program=im).order_by("-at", "-id").values_list("pk", flat=True)
    )
    assert seen == expected and len(seen) >= 120 and pages == -(-len(seen) // 50)


def test_the_api_lists_entries_with_changes_and_a_next_cursor(as_user, imported):
    client = as_user("director")
    body = client.get("/api/audit/entries", {"batch": imported.batch, "limit": 5}).json()
    assert len(body["items"]) == 5 and body["next"]
    rest = client.get("/api/audit/entries", {"batch": imported.batch, "before": body["next"]})
    items = body["items"] + rest.json()["items"]
    assert len(items) == 7 and rest.json()["next"] == ""
    person = next(i for i in items if i["object_type"] == "org.person")
    assert person["changes"]["first_name"][1].startswith("First")
    assert person["actor"] == "coordinator" and person["program"] == "internal-medicine"


def test_a_persons_history_gathers_their_record_appointment_and_pgy_changes(as_user):
    from meded.org import queries
    from meded.org.actions import do_update_trainee
    from meded.org.models import Appointment

    appt = Appointment.objects.get(person__user__username="resident", kind="trainee")
    person = appt.person
    coordinator = User.objects.get(username="coordinator")
    do_update_trainee(
        coordinator,
        appt,
        {"preferred_name": "Tay", "status": "leave", "pgy": 3},
        today=queries.today(),
    )
    r = as_user("coordinator").get("/audit/", {"person": person.pk})
    types = sorted(e.object_type for e in r.context["page"].entries)
    assert types == ["org.appointment", "org.person", "org.traineeyear"]
    assert (
        as_user("coordinator").get("/audit/", {"person": person.pk + 10**6}).context["page"].entries
        == []
    )


def test_the_log_answers_who_changed_a_residents_block_7_when_and_why(as_user, users, sy, im):
    from meded.org.models import Appointment
    from meded.schedules.actions import do_set_assignment
    from meded.schedules.models import Rotation, ScheduleVersion

    appt = Appointment.objects.get(person__user__username="resident", kind="trainee")
    version = ScheduleVersion.objects.create(schedule_year=sy, number=7, label="Draft")
    version.schedule_year = sy
    rotation = Rotation.objects.filter(program=im).order_by("code").first()
    assert rotation is not None
    do_set_assignment(
        users["chief"], version, appt.pk, 6, rotation, reason="swapped with a colleague's ICU"
    )
    do_set_assignment(users["chief"], version, appt.pk, 2, rotation)  # another block
    params = {"person": str(appt.person_id), "event": "schedule.cell_changed", "q": "block 7"}
    page = as_user("coordinator").get("/audit/", params).context["page"]
    [entry] = page.entries
    assert entry.actor_name == "chief" and entry.note == "swapped with a colleague's ICU"
    assert entry.data == {"block": 7, "version": 7, "appointment": appt.pk}
    assert entry.changes == {"rotation": [None, rotation.code]}
    api = as_user("coordinator").get("/api/audit/entries", params).json()["items"]
    assert [i["id"] for i in api] == [entry.pk] and api[0]["event"] == "schedule.cell_changed"
    # An area is every event of it.
    assert (
        len(as_user("coordinator").get("/audit/", {"event": "schedule"}).context["page"].entries)
        >= 2
    )


def test_every_recorded_event_is_one_some_app_defined(users, im):
    from meded.audit.events import UnknownEvent

    with pytest.raises(UnknownEvent):
        audit.record(users["coordinator"], "program.renamed_by_typo", im, program=im)
