"""A chief generates a block's roster in a real browser, edits a shift and sees the work-hour
violation it causes, publishes; a resident then offers one of their shifts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from meded.engine.blocks.cpsat import solve
from meded.org.demo import DEMO_PASSWORD
from meded.org.models import Program
from meded.rosters import adapters
from meded.rosters.demo import load_roster_demo
from meded.rosters.models import RosterSettings, Shift, SwapRequest
from meded.schedules import adapters as schedule_adapters
from meded.schedules.actions import do_publish
from meded.schedules.demo import load_schedule_demo
from meded.schedules.models import Assignment, ScheduleVersion

pytestmark = pytest.mark.browser


def publish_demo_schedule(chief: User) -> tuple:
    im = Program.objects.get(slug="internal-medicine")
    sy = load_schedule_demo(im)
    built = schedule_adapters.build_problem(sy)
    result = solve(built.problem, time_limit=4, workers=2)
    assert result.feasible
    version = ScheduleVersion.objects.create(schedule_year=sy, number=1, created_by=chief)
    Assignment.objects.bulk_create(
        schedule_adapters.assignments_for(version, built, result.schedule)
    )
    version.schedule_year = sy
    do_publish(chief, version)
    load_roster_demo(im)
    RosterSettings.objects.filter(program=im).update(solve_seconds=8)
    return im, sy


def sign_in(page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/home/$"))


def test_a_chief_generates_a_roster_sees_the_violation_an_edit_causes_and_a_resident_offers_a_shift(
    demo_live, page
):
    chief = User.objects.get(username="chief")
    im, sy = publish_demo_schedule(chief)
    soon = timezone.localdate() + dt.timedelta(days=7)
    block = next((b for b, start, _ in sy.block_dates() if start >= soon), None)
    if block is None:
        pytest.skip("no block of the demo year starts a week from today")
    base = demo_live.url
    sign_in(page, base, "chief")
    page.goto(f"{base}/rosters/{im.slug}/{sy.pk}/{block + 1}/")
    page.get_by_text("No roster yet").first.wait_for()
    page.click("#generate")
    page.wait_for_url(re.compile(r"/rosters/jobs/[0-9a-f-]+/$"), timeout=60_000)
    page.locator("#open-roster").click(timeout=60_000)
    page.locator("table.service").first.wait_for()

    # A MICU 24-h call followed by a weekday: add a MICU day shift the morning it ends.
    call = (
        Shift.objects.filter(
            roster__schedule_year=sy,
            roster__block=block,
            published=False,
            template__code="call",
            template__rotation__code="micu",
        )
        .select_related("appointment__person")
        .order_by("start")
    )
    zone = adapters.zone()
    target = next(
        s
        for s in call
        if (s.local_day(zone) + dt.timedelta(days=1)).weekday() < 5
        and s.local_day(zone) + dt.timedelta(days=1) <= sy.block_end(block)
    )
    post_call = target.local_day(zone) + dt.timedelta(days=1)
    cell = (
        page.locator('table[data-rotation="micu"] tr')
        .nth(1)
        .locator(f'td[data-day="{post_call.isoformat()}"] a.add')
    )
    cell.click()
    page.locator("#edit-appointment").select_option(str(target.appointment_id))
    page.click("#edit-check")
    problems = page.locator("#edit-problems")
    problems.wait_for(timeout=15_000)
    text = problems.inner_text()
    assert target.appointment.person.full_name in text
    assert "W3" in text or "W6" in text
    page.click("#edit-save")
    page.locator("#edit-error").wait_for()
    assert not Shift.objects.filter(
        published=False,
        appointment=target.appointment,
        template__code="day",
        template__rotation__code="micu",
        start__date__gte=post_call - dt.timedelta(days=1),
        start__date__lte=post_call,
    ).exists()

    page.click("#publish")
    page.get_by_text(re.compile(r"The roster of block \d+ is published")).wait_for()

    # A resident with a published shift offers it to a colleague on the same service.
    shift = (
        Shift.objects.filter(roster__schedule_year=sy, roster__block=block, published=True)
        .filter(template__rotation__code__in=["wards_mgh", "wards_community"])
        .select_related("appointment__person")
        .first()
    )
    assert shift is not None
    person = shift.appointment.person
    user = person.user or User.objects.create_user(f"res-{person.pk}")
    user.set_password("resident-pass")
    user.save()
    if person.user is None:
        person.user = user
        person.save(update_fields=["user"])
    page.click("text=Sign out")
    sign_in(page, base, user.username, "resident-pass")
    page.goto(f"{base}/rosters/me/?month={shift.start.astimezone(zone):%Y-%m}")
    page.locator("#my-month").wait_for()
    form = page.locator(f'form.offer:has(input[name=shift][value="{shift.pk}"])')
    form.locator("select[name=to]").select_option(index=1)
    form.locator("button").click()
    page.get_by_text("Your request is sent").wait_for()
    assert SwapRequest.objects.filter(shift=shift, status="proposed").exists()
