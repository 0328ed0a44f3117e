"""The demo's shift templates for Internal Medicine's rotations (meded.schedules.demo), and
its roster settings. Only rows: no solving, so it adds nothing noticeable to `meded demo`.

A roster is built from the PUBLISHED rotation schedule. `meded demo` queues the year's solve,
then ``finish_demo`` (below), which waits for it on the worker, publishes it as the chief
resident and generates and publishes the roster of today's block, so the residents' year, "on
call now", "my shifts" and meal cards have something to show.

Cover minimums are hard for the solver and sized to the small demo's smallest services (a
service with one or two residents in a block cannot cover 24-hour call every night within
the ACGME limits); targets are soft, so the solver covers what the rules allow and the
roster page shows the shortfalls against the target."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from meded.jobs.models import Job
from meded.org.models import Program
from meded.rosters.adapters import settings_for
from meded.rosters.models import ShiftKind, ShiftTemplate
from meded.schedules.models import Rotation

WEEKDAYS = [0, 1, 2, 3, 4]
WEEKEND = [5, 6]
EVERY_DAY = list(range(7))
SUN_TO_FRI = [6, 0, 1, 2, 3, 4]
H = 60


def _t(
    code: str,
    name: str,
    start: int,
    hours: float,
    days: list[int],
    *,
    kind: str = ShiftKind.DAY,
    holidays: str = ShiftTemplate.Holidays.NORMAL,
    lo: int = 1,
    target: int | None = None,
    hi: int | None = None,
) -> dict[str, Any]:
    return dict(
        code=code,
        name=name,
        kind=kind,
        start_time=dt.time(start),
        length_minutes=int(hours * H),
        weekdays=days,
        holidays=holidays,
        cover_min=lo,
        cover_target=target,
        cover_max=hi,
        in_house_call=kind == ShiftKind.IN_HOUSE_CALL,
        night=kind == ShiftKind.NIGHT,
    )


SKIP, ALSO = ShiftTemplate.Holidays.SKIP, ShiftTemplate.Holidays.ALSO


def _wards(label: str) -> list[dict[str, Any]]:
    return [
        _t("day", f"{label} day team", 7, 12, WEEKDAYS, holidays=SKIP, lo=1, target=4),
        _t(
            "weekend",
            f"{label} weekend coverage",
            7,
            12,
            WEEKEND,
            kind=ShiftKind.WEEKEND_DAY,
            holidays=ALSO,
            lo=1,
            target=2,
        ),
    ]


def _icu(label: str) -> list[dict[str, Any]]:
    return [
        _t("day", f"{label} day", 7, 11, WEEKDAYS, holidays=SKIP, lo=0, target=1),
        _t(
            "call",
            f"{label} 24-h call",
            7,
            24,
            EVERY_DAY,
            kind=ShiftKind.IN_HOUSE_CALL,
            lo=0,
            target=1,
            hi=1,
        ),
    ]


def _consult(label: str) -> list[dict[str, Any]]:
    return [
        _t("day", f"{label} day", 8, 9, WEEKDAYS, holidays=SKIP, lo=0, target=2),
        _t(
            "home",
            f"{label} at-home call",
            8,
            24,
            WEEKEND,
            kind=ShiftKind.AT_HOME_CALL,
            holidays=ALSO,
            lo=0,
            target=1,
            hi=1,
        ),
    ]


TEMPLATES: dict[str, list[dict[str, Any]]] = {
    "wards_mgh": _wards("Wards (main)"),
    "wards_community": _wards("Wards (community)"),
    "micu": _icu("MICU"),
    "ccu": _icu("CCU"),
    "ed": [
        _t("day", "ED day", 7, 10, EVERY_DAY, lo=0, target=1),
        _t("evening", "ED evening", 15, 10, EVERY_DAY, lo=0, target=1),
    ],
    "nf": [
        _t("night", "Night float", 19, 12, SUN_TO_FRI, kind=ShiftKind.NIGHT, lo=0, target=1),
    ],
    "consult_cards": _consult("Cardiology consults"),
    "consult_id": _consult("ID consults"),
    "consult_gi": _consult("GI consults"),
    # Everyone on ACR is in clinic on weekdays (a target no block's headcount reaches).
    "acr": [_t("clinic", "ACR clinic", 8, 9, WEEKDAYS, holidays=SKIP, lo=0, target=60)],
}


@transaction.atomic
def load_roster_demo(program: Program) -> int:
    """The demo's shift templates on the program's rotations that exist (updated in place
    when run again) and its roster settings. Returns the number of templates."""
    rotations = {r.code: r for r in Rotation.objects.filter(program=program)}
    n = 0
    for code, specs in TEMPLATES.items():
        rot = rotations.get(code)
        if rot is None:
            continue
        for order, spec in enumerate(specs):
            values = dict(spec)
            tcode = values.pop("code")
            values["sort_order"] = order
            ShiftTemplate.objects.update_or_create(rotation=rot, code=tcode, defaults=values)
            n += 1
    rs = settings_for(program)
    if rs.auto_approve_clean_swaps is False and not rs.holidays:
        rs.auto_approve_clean_swaps = False
        rs.save()
    return n


log = logging.getLogger(__name__)
DEMO_WAIT_SECONDS = 30 * 60


@task()
def finish_demo(schedule_job_id: str, roster_seconds: float = 20.0) -> str:
    """The demo's last step, on a worker: once the year's solve is done, publish it as the
    chief resident who started it, then generate and publish the roster of today's block."""
    from meded.jobs.tasks import run_job
    from meded.rosters import actions as roster_actions
    from meded.rosters.adapters import block_of
    from meded.schedules import actions as schedule_actions
    from meded.schedules.models import ScheduleVersion

    deadline = time.monotonic() + DEMO_WAIT_SECONDS
    while True:
        job = Job.objects.select_related("created_by").get(pk=schedule_job_id)
        if job.is_finished:
            break
        if time.monotonic() > deadline:
            return "the schedule solve did not finish"
        time.sleep(2)
    if job.status != Job.Status.SUCCEEDED:
        return "the schedule solve failed"
    chief = job.created_by
    version = ScheduleVersion.objects.select_related("schedule_year__program").get(
        pk=job.result["version"]
    )
    schedule_actions.do_publish(chief, version)
    sy = version.schedule_year
    load_roster_demo(sy.program)
    block = block_of(sy, timezone.localdate()) or 0
    roster = roster_actions.do_generate(chief, sy, block, time_limit=roster_seconds)
    if roster.job_id is not None:
        # Solve it here: with the demo's one worker, a queued roster job would wait for us.
        run_job.call(str(roster.job_id))
    roster.refresh_from_db()
    try:
        roster_actions.do_publish(chief, roster)
    except roster_actions.RosterError as e:
        log.warning("Demo roster of block %s not published: %s", block + 1, e)
        return f"roster not published: {e}"
    return "published"
