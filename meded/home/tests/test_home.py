"""The signed-in home page: what needs each persona, built from the apps' attention providers
(meded.core.attention), in a fixed number of queries however much data there is; nobody sees
another program's items; a user with no role gets the "no role" message only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meded.core import attention
from meded.core.attention import Item, Panel
from meded.jobs import lifecycle
from meded.jobs.models import Job
from meded.org.actions import do_add_leave
from meded.org.models import Appointment, Program
from meded.rosters import actions as roster_actions
from meded.rosters import adapters
from meded.rosters.models import Roster, ShiftTemplate, SwapRequest
from meded.rosters.tests.conftest import Block, published, put, solved, sy
from meded.schedules import actions as schedule_actions
from meded.schedules.models import Assignment, RequestStatus, ScheduleVersion, VacationRequest

pytestmark = pytest.mark.django_db

__all__ = ["published", "put", "solved", "sy"]


# --- Set-up -----------------------------------------------------------------------------


def _roster(version: ScheduleVersion, block: int) -> Block:
    """An empty published roster of the block (its shifts are put in by each test)."""
    sy = version.schedule_year
    roster = Roster.objects.create(
        schedule_year=sy, block=block, status=Roster.Status.PUBLISHED, published_at=timezone.now()
    )
    roster.schedule_year = sy
    by_rot = adapters.rotations_in_block(sy, block)
    codes = dict(
        ShiftTemplate.objects.filter(rotation_id__in=list(by_rot)).values_list(
            "rotation_id", "rotation__code"
        )
    )
    return Block(roster, {codes[k]: v for k, v in by_rot.items() if k in codes})


@pytest.fixture
def today_block(published: ScheduleVersion) -> Block:
    """The current block, with an empty published roster."""
    block = adapters.block_of(published.schedule_year, timezone.localdate())
    if block is None:
        pytest.skip("today is in no block of the demo year")
    return _roster(published, block)


@pytest.fixture
def next_block(published: ScheduleVersion, today_block: Block) -> Block:
    block = today_block.roster.block + 1
    if block >= published.schedule_year.n_blocks:
        pytest.skip("the current block is the year's last")
    return _roster(published, block)


def login_for(appt: Appointment) -> User:
    if appt.person.user is None:
        appt.person.user = User.objects.create_user(f"u{appt.pk}", password="x")
        appt.person.save(update_fields=["user"])
    return appt.person.user


def the_resident(im: Program) -> Appointment:
    return Appointment.objects.select_related("person").get(
        person__user__username="resident", program=im, kind=Appointment.Kind.TRAINEE
    )


def wards(block: Block, n: int = 2, but: Appointment | None = None) -> list[Appointment]:
    people = [a for a in block.rotation_people.get("wards_mgh", []) if a != but]
    if len(people) < n:
        pytest.skip("too few residents on the main wards in the block")
    return people[:n]


def weekday_of(block: Block, after: dt.date) -> dt.date:
    """A weekday of the block after the given day."""
    return next(
        block.day(i)
        for i in range(len(block.roster.days))
        if block.day(i) > after and block.day(i).weekday() < 5
    )


def in_progress_call(block: Block, appt: Appointment, put: Any) -> Any:
    """A 24-hour call of the appointment running now (published)."""
    call = block.template("micu", "call")
    now = timezone.localtime()
    day = now.date() if now.hour >= 7 else now.date() - dt.timedelta(days=1)
    return put(block.roster, appt, call, day)


def pending_swap(block: Block, put: Any) -> SwapRequest:
    """A swap two residents agreed on, waiting for a chief's approval."""
    giver, taker = wards(block)
    day = block.template("wards_mgh", "day")
    first = weekday_of(block, timezone.localdate() + dt.timedelta(days=1))
    mine = put(block.roster, giver, day, first)
    theirs = put(block.roster, taker, day, weekday_of(block, first))
    swap = roster_actions.do_propose_swap(login_for(giver), mine, taker.pk, their_shift=theirs)
    swap = roster_actions.do_respond_swap(login_for(taker), swap, accept=True)
    assert swap.status == SwapRequest.Status.PENDING, swap.check_result
    return swap


def failed_job(program: Program | None, by: User | None, title: str = "Import") -> Job:
    """A background job that failed on a worker."""
    job = Job.objects.create(kind="test_kind", title=title, program=program, created_by=by)
    assert lifecycle.claim(job) is not None
    lifecycle.fail(job, "The file has no header row.")
    return job


def leave_over_a_block(users: dict[str, User], version: ScheduleVersion) -> Appointment:
    """A leave recorded over a whole future block of a resident the published schedule has
    on a rotation then: a conflict until the year is re-planned."""
    sy = version.schedule_year
    soon = timezone.localdate() + dt.timedelta(days=7)
    block = next(b for b, start, _ in sy.block_dates() if start >= soon)
    cell = Assignment.objects.filter(version=version, block=block).select_related(
        "appointment__person"
    )[0]
    do_add_leave(
        users["coordinator"],
        cell.appointment,
        kind="medical",
        start_date=sy.block_start(block),
        end_date=sy.block_end(block),
    )
    return cell.appointment


def items_of(response: Any) -> dict[str, Item]:
    return {i.kind or i.title: i for i in response.context["items"]}


def panels_of(response: Any) -> dict[str, Panel]:
    return {p.title: p for p in response.context["panels"]}


# --- Who sees what ----------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_sign_in(as_user):
    r = as_user(None).get("/home/")
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]


def test_the_outsider_sees_only_the_no_role_message(as_user, im, published, today_block, put):
    wards_day = today_block.template("wards_mgh", "day")
    put(today_block.roster, wards(today_block, 1)[0], wards_day, timezone.localdate())
    r = as_user("outsider").get("/home/")
    assert r.status_code == 200
    assert b"no role in any program" in r.content
    assert im.name.encode() not in r.content
    assert b"Needs your attention" not in r.content
    assert b"Who is on call now" not in r.content.split(b"<main>")[1]


def test_a_graduate_sees_only_the_no_role_message(as_user, im):
    resident = the_resident(im)
    Appointment.objects.filter(pk=resident.pk).update(
        end_date=timezone.localdate() - dt.timedelta(days=1)
    )
    r = as_user("resident").get("/home/")
    assert b"no role in any program" in r.content
    assert "items" not in r.context


def test_the_coordinator_sees_their_program_on_the_home_page(as_user, im, surgery):
    r = as_user("coordinator").get("/home/")
    assert im.name.encode() in r.content
    assert surgery.name.encode() not in r.content


def test_a_resident_sees_their_own_appointment_and_pgy(as_user):
    r = as_user("resident").get("/home/")
    assert r.status_code == 200
    assert b"PGY-2" in r.content
    assert b"Internal Medicine Residency Program" in r.content


def test_the_director_sees_approvals_conflicts_drafts_holes_and_failed_jobs_of_their_program(
    as_user, users, im, published, today_block, next_block, put, django_assert_max_num_queries
):
    sy = published.schedule_year
    schedule_actions.do_request_vacation(users["resident"], sy, [sy.n_blocks - 1])
    pending_swap(next_block, put)
    leave_over_a_block(users, published)
    schedule_actions.do_copy_version(users["chief"], published)
    failed_job(im, users["coordinator"], "Roster import")
    client = as_user("director")
    with django_assert_max_num_queries(38):
        r = client.get("/home/")
    items = items_of(r)
    assert (items["schedules.vacation_pending"].count or 0) >= 1
    assert items["schedules.vacation_pending"].program == im.name
    assert items["rosters.swaps_pending"].count == 1
    assert items["rosters.swaps_pending"].severity == attention.URGENT
    assert (items["schedules.leave_conflicts"].count or 0) >= 1
    assert items["schedules.drafts"].title == "Draft schedule newer than the published one"
    # The empty published roster of today's block leaves its weekday and weekend shifts
    # below their minimum from today on.
    assert (items["rosters.coverage_holes"].count or 0) >= 1
    assert "Failed: Roster import" in items
    for text in (b"Swap requests waiting for approval", b"Vacation requests waiting"):
        assert text in r.content
    assert f'href="/rosters/{im.slug}/swaps/"'.encode() in r.content


def test_the_chief_sees_swaps_to_approve_holes_unpublished_and_changed_rosters_and_their_jobs(
    as_user, users, im, published, today_block, put, django_assert_max_num_queries
):
    pending_swap(today_block, put)
    # The draft of today's block changed since it was published.
    roster = today_block.roster
    day = today_block.template("wards_mgh", "day")
    draft = put(
        roster, wards(today_block, 1)[0], day, weekday_of(today_block, timezone.localdate()), False
    )
    roster_actions.do_publish(users["chief"], roster)
    roster_actions.do_remove_shift(users["chief"], draft)
    failed_job(im, users["chief"], "Roster of block 9")
    client = as_user("chief")
    with django_assert_max_num_queries(38):
        r = client.get("/home/")
    items = items_of(r)
    assert items["rosters.swaps_pending"].count == 1
    assert (items["rosters.coverage_holes"].count or 0) >= 1
    # Nothing published for the next block yet.
    assert items["rosters.unpublished"].severity == attention.WARNING
    assert items["rosters.draft_changed"].url.endswith(f"/{roster.block + 1}/")
    assert "Failed: Roster of block 9" in items
    assert "Who is on call now" in panels_of(r)


def test_a_resident_sees_their_next_shifts_rotation_swaps_for_them_their_requests_and_who_is_on(
    as_user, users, im, published, today_block, put, django_assert_max_num_queries
):
    me = the_resident(im)
    sy = published.schedule_year
    soon = put(
        today_block.roster,
        me,
        today_block.template("wards_mgh", "day"),
        timezone.localdate() + dt.timedelta(days=1),
    )
    colleague = wards(today_block, 1, but=me)[0]
    theirs = put(
        today_block.roster,
        colleague,
        today_block.template("wards_mgh", "weekend"),
        timezone.localdate() + dt.timedelta(days=2),
    )
    roster_actions.do_propose_swap(login_for(colleague), theirs, me.pk)
    roster_actions.do_propose_swap(users["resident"], soon, colleague.pk)
    schedule_actions.do_request_vacation(users["resident"], sy, [sy.n_blocks - 1])
    on_now = in_progress_call(today_block, colleague, put)
    client = as_user("resident")
    with django_assert_max_num_queries(24):
        r = client.get("/home/")
    items = items_of(r)
    assert items["rosters.my_swaps_waiting"].count == 1
    assert items["rosters.my_swaps_waiting"].severity == attention.URGENT
    assert items["rosters.my_swaps_open"].count == 1
    assert (
        items["schedules.my_vacation_pending"].count
        == VacationRequest.objects.filter(appointment=me, status=RequestStatus.PENDING).count()
    )
    assert "rosters.swaps_pending" not in items  # approvals are for the chiefs
    panels = panels_of(r)
    assert soon in panels["My next shifts"].context["shifts"]
    rows = panels["My rotation"].context["rows"]
    assert [row.ref.block for row in rows] == [today_block.roster.block, rows[0].ref.block + 1]
    mine = Assignment.objects.get(version=published, appointment=me, block=rows[0].ref.block)
    assert rows[0].rotation == mine.rotation.name
    assert on_now.appointment.person.full_name.encode() in r.content
    assert b"Who is on call now" in r.content


def test_faculty_see_who_is_on_call_and_the_current_block_but_no_approvals(
    as_user, users, im, published, today_block, next_block, put, django_assert_max_num_queries
):
    pending_swap(next_block, put)
    on_now = in_progress_call(today_block, wards(today_block, 1)[0], put)
    client = as_user("faculty")
    with django_assert_max_num_queries(20):
        r = client.get("/home/")
    assert r.context["items"] == []
    assert b"Nothing needs you right now" in r.content
    panels = panels_of(r)
    [row] = panels["This block"].context["rows"]
    assert row.ref.block == today_block.roster.block
    assert sum(n for _, n in row.rotations) > 0
    assert on_now.appointment.person.full_name.encode() in r.content


def test_the_gme_office_sees_counts_across_programs_and_failed_jobs_of_any_program(
    as_user,
    users,
    im,
    surgery,
    published,
    today_block,
    next_block,
    put,
    django_assert_max_num_queries,
):
    pending_swap(next_block, put)
    failed_job(surgery, users["surgery-coordinator"], "Surgery roster import")
    client = as_user("gme-admin")
    with django_assert_max_num_queries(34):
        r = client.get("/home/")
    items = items_of(r)
    assert items["rosters.swaps_pending"].program == im.name
    assert "Failed: Surgery roster import" in items
    assert b"on a published shift now" in r.content  # the institution's on-call count
    assert r.context["programs"].count() == 0  # no card per program


def test_another_programs_coordinator_sees_none_of_internal_medicines_items(
    as_user, users, im, surgery, published, today_block, next_block, put
):
    sy = published.schedule_year
    schedule_actions.do_request_vacation(users["resident"], sy, [sy.n_blocks - 1])
    pending_swap(next_block, put)
    leave_over_a_block(users, published)
    failed_job(im, users["coordinator"], "Internal Medicine import")
    on_now = in_progress_call(today_block, wards(today_block, 1)[0], put)
    r = as_user("surgery-coordinator").get("/home/")
    assert r.context["items"] == []
    assert im.name.encode() not in r.content
    assert on_now.appointment.person.full_name.encode() not in r.content
    assert b"Internal Medicine import" not in r.content


def test_a_cancelled_job_counts_as_finished_for_the_one_who_started_it(as_user, users, im):
    job = Job.objects.create(
        kind="test_kind", title="Long import", program=im, created_by=users["coordinator"]
    )
    lifecycle.request_cancel(users["coordinator"], job)
    r = as_user("coordinator").get("/home/")
    assert "Cancelled: Long import" in items_of(r)
    assert "Cancelled: Long import" not in items_of(as_user("director").get("/home/"))


# --- Fixed queries ----------------------------------------------------------------------


def queries_of(client: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/home/").status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["director", "chief", "resident", "faculty", "gme-admin"])
def test_the_home_page_takes_the_same_queries_however_many_requests_jobs_and_shifts(
    persona, as_user, users, im, surgery, published, today_block, next_block, put
):
    sy = published.schedule_year
    me = the_resident(im)
    day = today_block.template("wards_mgh", "day")
    put(today_block.roster, me, day, timezone.localdate() + dt.timedelta(days=1))
    schedule_actions.do_request_vacation(users["resident"], sy, [sy.n_blocks - 1])
    failed_job(im, users["chief"])
    client = as_user(persona)
    before = queries_of(client)
    # Much more of everything: shifts, requests, jobs, leave, versions.
    for appt in today_block.rotation_people.get("wards_mgh", []):
        for i in range(3):
            put(today_block.roster, appt, day, timezone.localdate() + dt.timedelta(days=i))
    schedule_actions.do_request_vacation(users["resident"], sy, [sy.n_blocks - 2])
    pending_swap(next_block, put)
    leave_over_a_block(users, published)
    schedule_actions.do_copy_version(users["chief"], published)
    for i in range(4):
        failed_job(surgery if i % 2 else im, users["chief"], f"job {i}")
    assert queries_of(client) == before


# --- The registry -----------------------------------------------------------------------


@pytest.fixture
def extra_provider() -> Iterator[None]:
    def clinic_items(viewer: Any, user: Any, today: dt.date) -> list[Item]:
        if not viewer.trainee_program_ids:
            return []
        return [Item("Clinic notes to sign", "/clinics/", "Clinics", count=2, kind="clinics.notes")]

    attention.register_attention(clinic_items)
    yield
    attention.ATTENTION.remove(clinic_items)


def test_an_app_adds_its_items_without_touching_the_home_view(as_user, extra_provider):
    r = as_user("resident").get("/home/")
    assert items_of(r)["clinics.notes"].count == 2
    assert b"Clinic notes to sign" in r.content
    assert "clinics.notes" not in items_of(as_user("faculty").get("/home/"))


def test_items_of_one_kind_from_many_programs_fold_into_one_count_with_links():
    items = [
        Item("Swaps waiting", f"/p{i}/", "Rosters", count=i, kind="k", program=f"P{i}")
        for i in range(1, 8)
    ] + [Item("Lone", "/x/", "Jobs")]
    folded = attention.fold(items)
    [swaps] = [i for i in folded if i.kind == "k"]
    assert swaps.count == sum(range(1, 8))
    assert swaps.detail.startswith("in 7 programs")
    assert [label for label, _ in swaps.links][:2] == ["P7 (7)", "P6 (6)"]
    assert len(swaps.links) == attention.TOP_LINKS
    assert any(i.title == "Lone" for i in folded)
    # up to MAX_PER_KIND programs stay one item each
    assert len(attention.fold(items[: attention.MAX_PER_KIND])) == attention.MAX_PER_KIND


def test_an_item_with_an_unknown_severity_is_refused():
    with pytest.raises(ValueError, match="severity"):
        Item("x", "/", "Jobs", severity="panic")
