"""Every page, sent malformed values in every parameter it shows, answers anything but a server
error. The sweep is generic: it walks every URL the project serves (outside the API, which the
schemathesis test covers), opens each page as the persona with real objects of the demo in its
path, reads the parameter names the page itself offers (form fields, and the query keys of its
links), and sends each bad value in all of them at once, by GET and by POST."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from meded.core.tests.sweep import routes
from meded.jobs.models import Job
from meded.org.models import Appointment
from meded.rosters.tests.conftest import published, solved, sy
from meded.schedules.models import ScheduleVersion

__all__ = ["published", "solved", "sy"]

pytestmark = pytest.mark.django_db

BAD = ["9999-12-31", "2026-13-45", "9999-12", "\u00b2", "9" * 20, "x" * 300]
# Read from the query string by some page without being offered as a field on it.
ALWAYS = ["month", "year", "v", "a", "b", "before", "person", "pgy", "page", "day", "shift"]
_NAME = re.compile(r'name="([A-Za-z_][\w-]*)"|[?&]amp;([A-Za-z_]\w*)=|[?&]([A-Za-z_]\w*)=')


@pytest.fixture
def queued_only(settings: Any) -> None:
    """Solve and generate buttons queue their job without running the solver inline."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def fill(route: str, version: ScheduleVersion) -> str:
    sy = version.schedule_year
    appt = Appointment.objects.get(person__user__username="resident", kind="trainee")
    job = Job.objects.create(
        kind="roster_import",
        title="Roster import",
        program=sy.program,
        created_by=version.created_by,
    )
    url = route.replace("trainees/<int:pk>", f"trainees/{appt.pk}")
    url = url.replace("people/<int:pk>", f"people/{appt.person_id}")
    url = url.replace("<slug:slug>/<int:pk>", f"<slug:slug>/{sy.pk}")
    if url.startswith("org/institutions/"):
        url = url.replace("<slug:slug>", "mgh")
    for key, value in {
        "<slug:slug>": sy.program.slug,
        "<slug:code>": "ima",
        "<slug:token>": "x" * 40,
        "<uuid:pk>": str(job.pk),
        "<slug:kind>": "requirements",
        "<str:rule_id>": "vacation",
        "<int:rotation_id>": "1",
        "<int:block>": "1",
        "<int:swap_id>": "1",
        "<int:pk>": "1",
    }.items():
        url = url.replace(key, value)
    return "/" + url


def names_on(html: bytes) -> set[str]:
    found = {next(g for g in m if g) for m in _NAME.findall(html.decode(errors="replace"))}
    return (found | set(ALWAYS)) - {"csrfmiddlewaretoken"}


def sweep(client: Client, urls: list[str], methods: tuple[str, ...], alone: bool) -> list[str]:
    """Each bad value in every parameter at once (by each method), then, when `alone`, each
    parameter alone with two of the values in turn (GET), so that a parameter refused early
    (an unknown version answers 404) does not hide what the others would do."""
    failures = []
    for url in urls:
        names = sorted(names_on(client.get(url).content))
        requests = [(m, dict.fromkeys(names, bad)) for bad in BAD for m in methods]
        requests += [
            ("get", {name: BAD[(i + k) % len(BAD)]})
            for i, name in enumerate(names if alone else [])
            for k in range(2)
        ]
        for method, data in requests:
            r = getattr(client, method)(url, data)
            if r.status_code >= 500:
                failures.append(f"{method.upper()} {url} {data}: {r.status_code}"[:300])
    return failures


PAGES = [r for r in routes() if not r.startswith("api/") and r != "accounts/logout/"]


@pytest.mark.parametrize(
    ("persona", "methods", "alone"),
    [("director", ("get", "post"), True), ("resident", ("get", "post"), False)],
)
def test_no_page_answers_a_server_error_to_malformed_parameters(
    users, published, queued_only, persona, methods, alone
):
    client = Client(raise_request_exception=False)
    client.force_login(users[persona])
    assert sweep(client, [fill(r, published) for r in PAGES], methods, alone) == []
