"""The URL sweep's machinery: every route the project serves, filled with real objects of
Internal Medicine, requested as every persona with every method it answers, and judged
against the audience the route is meant for (test_every_url.ACCESS).

The world is built once per test (in the test's transaction): a published rotation
schedule, a roster with a published shift, a swap request, a job, a leave, a calendar link,
a password-reset link. Every parameter of every route names one of these, so a 404 means
"refused", never "no such object"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

PERSONAS: list[str | None] = [
    None,
    "outsider",
    "resident",
    "faculty",
    "chief",
    "coordinator",
    "director",
    "gme-admin",
    "surgery-coordinator",
]
DENIED = (401, 403, 404)


def routes(
    patterns: list[Any] | None = None, prefix: str = "", urlconf: Any = None
) -> Iterator[str]:
    """Every Django route (API routes come from the OpenAPI schema, with their methods)."""
    for p in patterns if patterns is not None else get_resolver(urlconf).url_patterns:
        if isinstance(p, URLResolver):
            yield from routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


@dataclass
class World:
    values: dict[str, str]
    feed_token: str
    queries: dict[str, str]  # route -> the query string its page needs
    bodies: dict[str, Any] = field(default_factory=dict)  # "METHOD path" -> a valid JSON body

    def fill(self, route: str) -> str:
        url = route
        if route.startswith("org/institutions/"):
            url = url.replace("<slug:slug>", self.values["@institution"])
        url = url.replace("<int:pk>", self.values[f"@{self.pk_kind(route)}"])
        if route.startswith(("schedules/jobs/", "rosters/jobs/")):
            kind = "solve_job" if route.startswith("schedules/") else "roster_job"
            url = url.replace("<uuid:pk>", self.values[f"@{kind}"])
        for key, value in sorted(self.values.items(), key=lambda kv: -len(kv[0])):
            url = url.replace(key, value)
        assert "<" not in url and "{" not in url, f"no test value for a parameter of {route}"
        return "/" + url.lstrip("/") + self.queries.get(route, "")

    @staticmethod
    def pk_kind(route: str) -> str:
        """What ``<int:pk>`` names in a route."""
        for prefix, kind in (
            ("org/people/", "person"),
            ("calendars/people/", "person"),
            ("org/trainees/", "appointment"),
            ("org/leave/", "leave"),
        ):
            if route.startswith(prefix):
                return kind
        return "year"  # schedules/<slug>/<pk>/..., rosters/<slug>/<pk>/<block>/


def build_world() -> World:
    """Real objects for every parameter (inside the test's transaction)."""
    from meded.calendars.actions import do_issue_feed
    from meded.jobs.models import Job
    from meded.org.actions import do_add_leave
    from meded.org.models import Appointment, Institution, Program, Site
    from meded.rosters import actions as roster_actions
    from meded.rosters import adapters
    from meded.rosters.demo import load_roster_demo
    from meded.rosters.models import Roster, RosterSettings, Shift, ShiftTemplate
    from meded.schedules.actions import do_publish
    from meded.schedules.demo import load_schedule_demo
    from meded.schedules.models import Rotation
    from meded.schedules.tests.conftest import solved_version

    im = Program.objects.get(slug="internal-medicine")
    users = {u.username: u for u in User.objects.all()}
    sy = load_schedule_demo(im)
    # Solves and generations that the sweep's POSTs start run inline: keep them to a second.
    type(sy).objects.filter(pk=sy.pk).update(solve_seconds=1)
    sy.solve_seconds = 1
    version = solved_version(sy, users["chief"])
    do_publish(users["chief"], version)
    load_roster_demo(im)
    RosterSettings.objects.update_or_create(program=im, defaults={"solve_seconds": 1})
    resident = Appointment.objects.select_related("person").get(
        person__user__username="resident", kind="trainee"
    )
    # The first block from a week on, with a published shift of the resident's own rotation
    # and a give-away offered to a colleague on that rotation.
    soon = timezone.localdate() + dt.timedelta(days=7)
    with_templates = set(ShiftTemplate.objects.values_list("rotation_id", flat=True))
    block, rotation_id, people = next(
        (b, rot, appts)
        for b, start, _ in sy.block_dates()
        if start >= soon
        for rot, appts in adapters.rotations_in_block(sy, b).items()
        if rot in with_templates and resident.pk in [a.pk for a in appts] and len(appts) > 1
    )
    roster = Roster.objects.create(
        schedule_year=sy, block=block, status=Roster.Status.PUBLISHED, published_at=timezone.now()
    )
    roster.schedule_year = sy
    template = ShiftTemplate.objects.filter(rotation_id=rotation_id).order_by("pk").first()
    assert template is not None
    day = roster.first_day + dt.timedelta(days=2)
    start, end = template.span(day, adapters.zone())
    shift = Shift.objects.create(
        roster=roster, template=template, appointment=resident, start=start, end=end, published=True
    )
    Shift.objects.create(
        roster=roster, template=template, appointment=resident, start=start, end=end
    )
    colleague = next(a for a in people if a.pk != resident.pk)
    swap = roster_actions.do_propose_swap(users["resident"], shift, colleague.pk)
    job = Job.objects.create(
        kind="roster_import", title="Roster import", program=im, created_by=users["coordinator"]
    )
    solve_job, roster_job = (
        Job.objects.create(
            kind=kind,
            title=kind,
            program=im,
            created_by=users["chief"],
            options=options,
            status=Job.Status.SUCCEEDED,
        )
        for kind, options in (
            ("schedule_solve", {"version": version.pk}),
            ("roster_solve", {"roster": roster.pk}),
        )
    )
    leave = do_add_leave(
        users["coordinator"],
        resident,
        kind="personal",
        start_date=sy.block_start(sy.n_blocks - 1),
        end_date=sy.block_start(sy.n_blocks - 1) + dt.timedelta(days=2),
    )
    feed = do_issue_feed(users["resident"], resident.person)
    rotation = Rotation.objects.get(pk=rotation_id)
    rule_kind, rule_id = next(
        (kind, str(items[0]["id"]))
        for kind, items in (sy.rules or {}).items()
        if isinstance(items, list) and items and isinstance(items[0], dict) and "id" in items[0]
    )
    site = Site.objects.filter(tracks__program=im).order_by("pk").first()
    institution = Institution.objects.get(pk=im.institution_id)
    reset_user = users["resident"]
    values = {
        # Django routes
        "<slug:slug>": im.slug,
        "<slug:code>": site.code if site else "",
        "<uuid:pk>": str(job.pk),
        "<int:rotation_id>": str(rotation.pk),
        "<slug:kind>": rule_kind,
        "<str:rule_id>": rule_id,
        "<int:block>": str(block + 1),
        "<int:swap_id>": str(swap.pk),
        "<slug:token>": feed.token,
        "<uidb64>": urlsafe_base64_encode(force_bytes(reset_user.pk)),
        "<token>": default_token_generator.make_token(reset_user),
        # API routes (OpenAPI style)
        "{slug}": im.slug,
        "{person_id}": str(resident.person_id),
        "{job_id}": str(job.pk),
        "{code}": rotation.code,
        "{swap_id}": str(swap.pk),
        "{decision}": "approve",
    }
    queries = {
        "rosters/<slug:slug>/swaps/options/": f"?shift={shift.pk}&to={colleague.pk}",
        "schedules/<slug:slug>/<int:pk>/cell/": f"?v={version.pk}&a={resident.pk}&b=0",
    }
    ids = {
        "solve_job": str(solve_job.pk),
        "roster_job": str(roster_job.pk),
        "person": str(resident.person_id),
        "appointment": str(resident.pk),
        "year": str(sy.pk),
        "leave": str(leave.pk),
        "institution": institution.slug,
    }
    bodies = {
        "POST /api/rosters/{slug}/swaps": {"shift_id": shift.pk, "to_appointment_id": colleague.pk},
        "POST /api/schedules/{slug}/versions": {},
    }
    assert feed.token is not None
    world = World({**values, **{f"@{k}": v for k, v in ids.items()}}, feed.token, queries)
    world.bodies = bodies
    return world


def client_for(username: str | None) -> Client:
    client = Client()
    if username is not None:
        client.force_login(User.objects.get(username=username))
    return client


def is_login_redirect(r: HttpResponse) -> bool:
    return r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def refused(r: HttpResponse) -> bool:
    return r.status_code in DENIED or is_login_redirect(r)
