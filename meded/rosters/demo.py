"""The demo's shift templates for Internal Medicine's rotations (meded.schedules.demo), and
its roster settings. Only rows: no solving, so it adds nothing noticeable to `meded demo`.

A roster is built from the PUBLISHED rotation schedule. `meded demo` queues the year's solve,
then ``finish_demo`` (below), which waits for it on the worker and publishes it as the chief
resident; ``roster_demo_blocks`` then generates and publishes, as the chief, the roster of
every block of the year, one background job per block, today's block first: "on call now",
"my shifts", the home pages and meal cards have something to show whatever the day.

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
from meded.rosters.adapters import block_of, settings_for
from meded.rosters.models import Roster, ShiftKind, ShiftTemplate
from meded.schedules.models import Rotation, ScheduleYear

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
POLL_SECONDS = 1.0


def _wait_for(job_id: str) -> Job | None:
    """The job once it has ended (None when it did not within DEMO_WAIT_SECONDS). With the
    demo's one worker it has, since its task was queued first; with more it may still run."""
    deadline = time.monotonic() + DEMO_WAIT_SECONDS
    while True:
        job = Job.objects.select_related("created_by").get(pk=job_id)
        if job.is_finished:
            return job
        if time.monotonic() > deadline:
            return None
        time.sleep(POLL_SECONDS)


def demo_block_order(sy: ScheduleYear, today: dt.date) -> list[int]:
    """The order the demo rosters the year's blocks in: today's block first (so "on call
    now" has something to show within a minute), then the rest of the year forward, each
    block's first days pinned to the published block before it, then the earlier blocks
    backward, each one's last days pinned to the published block after it."""
    current = block_of(sy, today)
    if current is None:
        current = 0 if today < sy.start_date else sy.n_blocks - 1
    return [current, *range(current + 1, sy.n_blocks), *range(current - 1, -1, -1)]


@task()
def finish_demo(schedule_job_id: str, roster_seconds: float = 20.0, blocks: int = 0) -> str:
    """The demo's last step, on a worker: once the year's solve is done, publish it as the
    chief resident who started it, then roster the year: ``roster_demo_blocks`` generates
    and publishes the first ``blocks`` blocks (0: every block) in demo_block_order."""
    from meded.schedules import actions as schedule_actions
    from meded.schedules.models import ScheduleVersion

    job = _wait_for(schedule_job_id)
    if job is None:
        return "the schedule solve did not finish"
    if job.status != Job.Status.SUCCEEDED:
        return "the schedule solve failed"
    chief = job.created_by
    assert chief is not None
    version = ScheduleVersion.objects.select_related(
        "schedule_year__program", "schedule_year__academic_year"
    ).get(pk=job.result["version"])
    schedule_actions.do_publish(chief, version)
    sy = version.schedule_year
    load_roster_demo(sy.program)
    order = demo_block_order(sy, timezone.localdate())
    roster_demo_blocks.enqueue(sy.pk, chief.pk, order[: blocks or None], roster_seconds)
    return "published; rostering the year"


@task()
def roster_demo_blocks(
    schedule_year_id: int,
    chief_id: int,
    blocks: list[int],
    roster_seconds: float,
    generation_job_id: str = "",
    attempt: int = 1,
) -> str:
    """One step of rostering the demo's year, on the worker, as the chief resident: publish
    the block whose generation job ``generation_job_id`` ran (waiting for it if another worker
    has it; a generation that found no roster in time is tried once more with twice the
    time), then start the generation of the next of ``blocks`` (a background job, queued like
    a chief's Generate) and queue this task again behind it for the rest. Each block is its
    own job and task, so the worker stays free between blocks and a stopped worker resumes
    where it was."""
    from django.contrib.auth.models import User

    from meded.rosters import actions as roster_actions

    chief = User.objects.get(pk=chief_id)
    sy = ScheduleYear.objects.select_related("program", "academic_year").get(pk=schedule_year_id)
    outcome = ""
    if generation_job_id:
        job = _wait_for(generation_job_id)
        roster = (
            Roster.objects.filter(job_id=generation_job_id)
            .select_related("schedule_year__program", "schedule_year__academic_year")
            .first()
        )
        if roster is None or job is None:
            outcome = "the generation did not end"
        elif job.status != Job.Status.SUCCEEDED:
            outcome = f"{roster} not generated: {job.message}"
            if attempt < 2 and not roster.is_solving:
                log.warning("Demo %s; trying again with %g s", outcome, 2 * roster_seconds)
                return _generate_next(
                    chief, sy, [roster.block, *blocks], roster_seconds, 2 * roster_seconds, 2
                )
            log.warning("Demo %s", outcome)
        else:
            try:
                roster_actions.do_publish(chief, roster)
                outcome = f"{roster} published"
            except roster_actions.RosterError as e:
                outcome = f"{roster} not published: {e}"
                log.warning("Demo %s", outcome)
    _generate_next(chief, sy, blocks, roster_seconds)
    return outcome or "started"


def _generate_next(
    chief: Any,
    sy: ScheduleYear,
    blocks: list[int],
    roster_seconds: float,
    seconds: float | None = None,
    attempt: int = 1,
) -> str:
    """Start the generation of the first of ``blocks`` that can be generated, and queue the
    next step of roster_demo_blocks behind its job."""
    from meded.rosters import actions as roster_actions

    for i, block in enumerate(blocks):
        try:
            roster = roster_actions.do_generate(
                chief, sy, block, time_limit=seconds or roster_seconds
            )
        except roster_actions.RosterError as e:
            log.warning("Demo roster of block %s not generated: %s", block + 1, e)
            attempt = 1
            continue
        roster_demo_blocks.enqueue(
            sy.pk, chief.pk, blocks[i + 1 :], roster_seconds, str(roster.job_id), attempt
        )
        return f"generating block {block + 1}"
    return "every block done"
