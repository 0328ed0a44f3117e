"""The URL sweep: every route the project serves (the Django routes, and every operation of
the API's OpenAPI schema), requested with real Internal Medicine objects as every persona,
and judged against who it is meant for (ACCESS). A route that is not classified fails; a
persona meant to get in who is refused fails; a persona not meant to get in who gets
anything fails, and must have written nothing. Every method answers without a server
error. Nothing writes on GET. A deliberately unprotected view proves the sweep catches a leak.

Audiences (for Internal Medicine's objects):"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from meded.audit.models import AuditEntry
from meded.core.tests import sweep
from meded.core.tests.sweep import PERSONAS, World, client_for, refused

Audience = set[str | None]
P: Audience = set(PERSONAS)
SIGNED_IN: Audience = P - {None}
ROLE: Audience = SIGNED_IN - {"outsider"}  # a current role or appointment anywhere
IM_PLANNERS: Audience = {"chief", "coordinator", "director", "gme-admin"}
IM_MANAGERS: Audience = {"coordinator", "director", "gme-admin"}
IM_STAFF: Audience = IM_PLANNERS | {"faculty"}
IM_READERS: Audience = IM_STAFF | {"resident"}  # published schedules and rosters
ORG_STAFF: Audience = IM_STAFF | {"surgery-coordinator"}  # the shared organization pages
ANY_MANAGER: Audience = IM_MANAGERS | {"surgery-coordinator"}  # the audit log, each their own
RESIDENT_AND_PLANNERS: Audience = IM_PLANNERS | {"resident"}  # requests, swaps, meal cards
RESIDENT_AND_MANAGERS: Audience = IM_MANAGERS | {"resident"}  # the resident's calendar link
JOB_WATCHERS: Audience = IM_MANAGERS  # the coordinator's import job: its starter and the managers
RESIDENT: Audience = {"resident"}  # the resident's own things
NOBODY: Audience = set()  # single sign-on while it is not configured

ACCESS: dict[str, Audience] = {
    # Public pages and sign-in
    "": P,
    "programs/": P,
    "programs/<slug:slug>/": P,
    "healthz": P,
    "accounts/login/": P,
    "accounts/logout/": P,
    "accounts/password-reset/": P,
    "accounts/password-reset/sent/": P,
    "accounts/password-reset/<uidb64>/<token>/": P,
    "accounts/password-reset/done/": P,
    "accounts/oidc/authenticate/": NOBODY,
    "accounts/oidc/callback/": NOBODY,
    "calendars/feed/<slug:token>.ics": P,  # whoever holds the token (see the test below)
    "home/": SIGNED_IN,
    # The organization
    "org/programs/": ORG_STAFF,
    "org/programs/<slug:slug>/": IM_STAFF,
    "org/programs/<slug:slug>/roster/": IM_STAFF,
    "org/programs/<slug:slug>/roster/import/": IM_MANAGERS,
    "org/programs/<slug:slug>/roster/export.csv": IM_MANAGERS,
    "org/programs/<slug:slug>/roster/export.xlsx": IM_MANAGERS,
    "org/roster-template.csv": ROLE,
    "org/roster-template.xlsx": ROLE,
    "org/people/": ORG_STAFF,
    "org/people/<int:pk>/": IM_READERS,
    "org/trainees/<int:pk>/edit/": IM_MANAGERS,
    "org/trainees/<int:pk>/leave/": IM_MANAGERS,
    "org/leave/<int:pk>/delete/": IM_MANAGERS,
    "org/sites/": ORG_STAFF,
    "org/sites/<slug:code>/": ORG_STAFF,
    "org/institutions/": ORG_STAFF,
    "org/institutions/<slug:slug>/": ORG_STAFF,
    "org/academic-years/": ORG_STAFF,
    "audit/": ANY_MANAGER,
    # Jobs
    "jobs/": ROLE,
    "jobs/<uuid:pk>/": JOB_WATCHERS,
    "jobs/<uuid:pk>/progress/": JOB_WATCHERS,
    "jobs/<uuid:pk>/cancel/": JOB_WATCHERS,
    "jobs/<uuid:pk>/stop/": JOB_WATCHERS,
    "schedules/jobs/<uuid:pk>/": IM_PLANNERS,
    "schedules/jobs/<uuid:pk>/progress/": IM_PLANNERS,
    "rosters/jobs/<uuid:pk>/": IM_PLANNERS,
    "rosters/jobs/<uuid:pk>/progress/": IM_PLANNERS,
    # Rotation schedules
    "schedules/<slug:slug>/": IM_READERS,
    "schedules/<slug:slug>/<int:pk>/": IM_READERS,
    "schedules/<slug:slug>/<int:pk>/coverage/": IM_READERS,
    "schedules/<slug:slug>/<int:pk>/compare/": IM_READERS,
    "schedules/<slug:slug>/<int:pk>/schedule.csv": IM_READERS,
    "schedules/<slug:slug>/<int:pk>/schedule.xlsx": IM_READERS,
    "schedules/<slug:slug>/<int:pk>/schedule.pdf": IM_READERS,
    "schedules/<slug:slug>/<int:pk>/calendar.ics": RESIDENT,
    "schedules/<slug:slug>/<int:pk>/requests/": RESIDENT_AND_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/rules/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/cell/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/solve/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/publish/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/copy/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/repair/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/alternatives/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/setup/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/setup/rotations/new/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/setup/rotations/<int:rotation_id>/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/setup/rotations/<int:rotation_id>/delete/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/setup/rules/settings/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/setup/rules/json/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/setup/rules/<slug:kind>/new/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/setup/rules/<slug:kind>/<str:rule_id>/": IM_PLANNERS,
    "schedules/<slug:slug>/<int:pk>/setup/rules/<slug:kind>/<str:rule_id>/delete/": IM_PLANNERS,
    # Calendar subscriptions
    "calendars/": ROLE,
    "calendars/people/<int:pk>/": RESIDENT_AND_MANAGERS,
    "calendars/people/<int:pk>/link/": RESIDENT_AND_MANAGERS,
    "calendars/people/<int:pk>/revoke/": RESIDENT_AND_MANAGERS,
    # Rosters
    "rosters/": ROLE,
    "rosters/on-call/": ROLE,
    "rosters/me/": RESIDENT,
    "rosters/<slug:slug>/": IM_READERS,
    "rosters/<slug:slug>/<int:pk>/<int:block>/": IM_READERS,
    "rosters/<slug:slug>/<int:pk>/<int:block>/generate/": IM_PLANNERS,
    "rosters/<slug:slug>/<int:pk>/<int:block>/publish/": IM_PLANNERS,
    "rosters/<slug:slug>/<int:pk>/<int:block>/shift/": IM_PLANNERS,
    "rosters/<slug:slug>/settings/": IM_PLANNERS,
    "rosters/<slug:slug>/templates/": IM_PLANNERS,
    "rosters/<slug:slug>/swaps/": RESIDENT_AND_PLANNERS,
    "rosters/<slug:slug>/swaps/options/": RESIDENT,
    "rosters/<slug:slug>/swaps/<int:swap_id>/": RESIDENT_AND_PLANNERS,
    "rosters/<slug:slug>/meals/": RESIDENT_AND_PLANNERS,
    "rosters/<slug:slug>/meals.csv": RESIDENT_AND_PLANNERS,
    # The JSON API, by operation
    "api/openapi.json": P,
    "api/docs": P,
    "GET /api/public/facts": P,
    "GET /api/public/programs": P,
    "GET /api/public/programs/{slug}": P,
    "GET /api/me": SIGNED_IN,
    "GET /api/institutions": ORG_STAFF,
    "GET /api/academic-years": ORG_STAFF,
    "GET /api/programs": ORG_STAFF,
    "GET /api/sites": ORG_STAFF,
    "GET /api/people": ORG_STAFF,
    "GET /api/people/{person_id}": IM_READERS,
    "GET /api/programs/{slug}": IM_STAFF,
    "GET /api/programs/{slug}/roster": IM_STAFF,
    "GET /api/programs/{slug}/sites": IM_STAFF,
    "GET /api/programs/{slug}/roster/export": IM_MANAGERS,
    "POST /api/programs/{slug}/roster/import": IM_MANAGERS,
    "GET /api/roster-template": ROLE,
    "GET /api/audit/entries": ANY_MANAGER,
    "GET /api/jobs": ROLE,
    "GET /api/jobs/{job_id}": JOB_WATCHERS,
    "POST /api/jobs/{job_id}/cancel": JOB_WATCHERS,
    "POST /api/jobs/{job_id}/stop": JOB_WATCHERS,
    "GET /api/calendars/me": ROLE,
    "POST /api/calendars/me": ROLE,
    "DELETE /api/calendars/me": ROLE,
    "GET /api/calendars/people/{person_id}": RESIDENT_AND_MANAGERS,
    "POST /api/calendars/people/{person_id}": RESIDENT_AND_MANAGERS,
    "DELETE /api/calendars/people/{person_id}": RESIDENT_AND_MANAGERS,
    "GET /api/rosters/on-call": ROLE,
    "GET /api/rosters/me/shifts": ROLE,
    "GET /api/rosters/{slug}/shifts": IM_READERS,
    "GET /api/rosters/{slug}/swaps": IM_READERS,
    "POST /api/rosters/{slug}/swaps": RESIDENT,
    "POST /api/rosters/{slug}/swaps/{swap_id}/{decision}": IM_PLANNERS,
    "GET /api/schedules/{slug}/versions": IM_READERS,
    "POST /api/schedules/{slug}/versions": IM_PLANNERS,
    "GET /api/schedules/{slug}/assignments": IM_READERS,
    "GET /api/schedules/{slug}/check": IM_PLANNERS,
    "GET /api/schedules/{slug}/rotations": IM_PLANNERS,
    "GET /api/schedules/{slug}/rotations/{code}": IM_PLANNERS,
    "PUT /api/schedules/{slug}/rotations/{code}": IM_PLANNERS,
    "DELETE /api/schedules/{slug}/rotations/{code}": IM_PLANNERS,
    "GET /api/schedules/{slug}/rules": IM_PLANNERS,
    "PUT /api/schedules/{slug}/rules": IM_PLANNERS,
}
# Routes a request never reaches (ninja's own root) and the API's operations, which are
# swept from the OpenAPI schema instead of the resolver.
NOT_SWEPT = {"api/"}
ROSTER = b"email,first_name,last_name,track,pgy\nx@example.org,A,B,categorical,1\n"
JSON = "application/json"


API_PAGES = {"api/openapi.json", "api/docs"}  # Django routes of ninja's, not operations


def django_routes() -> list[str]:
    found = {r for r in sweep.routes() if not r.startswith("api/") or r in API_PAGES}
    return sorted(found - NOT_SWEPT)


def api_operations() -> list[str]:
    from meded.api import api

    schema = api.get_openapi_schema()
    return sorted(
        f"{method.upper()} {path}"
        for path, ops in schema["paths"].items()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    )


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any):
    """One world for the module, in a transaction rolled back at its end (each test runs in a
    savepoint inside it, each persona's requests in one more)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield sweep.build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def problem(audience: set[str | None], persona: str | None, method: str, r: Any) -> str | None:
    """What is wrong with the answer ``r`` to ``persona`` (None: nothing)."""
    if r.status_code >= 500:
        return f"answered {r.status_code}"
    meant = persona in audience
    if method == "GET" and meant and refused(r):
        return f"meant for {persona or 'anonymous'}, but refused ({r.status_code})"
    if not meant and not refused(r) and r.status_code != 405:
        return f"not meant for {persona or 'anonymous'}, but answered {r.status_code}"
    return None


def ask(client: Client, method: str, url: str, route: str, world: World) -> Any:
    if method == "GET":
        return client.get(url)
    if route == "POST /api/programs/{slug}/roster/import":
        return client.post(url, {"file": SimpleUploadedFile("r.csv", ROSTER), "dry_run": "true"})
    if route.startswith(("POST ", "PUT ", "PATCH ", "DELETE ")):
        body = json.dumps(world.bodies.get(route, {}))
        return client.generic(method, url, body, content_type=JSON)
    return client.post(url, {})


# Nothing writes on GET, but for records of the reading itself: a calendar feed notes when it
# was last fetched (at most once an hour; the owner sees it), and taking the trainee roster's
# personal data out as a file is an audit log entry.
EXPORTED = {"audit_auditentry"}
GET_MAY_WRITE = {
    "calendars/feed/<slug:token>.ics": {"calendars_calendarfeed"},
    "org/programs/<slug:slug>/roster/export.csv": EXPORTED,
    "org/programs/<slug:slug>/roster/export.xlsx": EXPORTED,
    "GET /api/programs/{slug}/roster/export": EXPORTED,
}
WRITES = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)


def writes_of(queries: list[dict[str, Any]]) -> set[str]:
    """The tables a request wrote to (Django's own session and sign-in rows aside)."""
    tables = {m.group(2) for q in queries if (m := WRITES.match(q["sql"]))}
    return tables - {"django_session", "auth_user"}


def sweep_route(world: World, route: str, audience: set[str | None]) -> list[str]:
    """Every persona, every method: the problems found."""
    if " " in route:  # an API operation
        method, path = route.split(" ", 1)
        methods = [method]
        url = world.fill(path)
    else:
        methods = ["GET", "POST"]
        url = world.fill(route)
    problems = []
    for persona in PERSONAS:
        for method in methods:
            client = client_for(persona)
            with transaction.atomic(), CaptureQueriesContext(connection) as queries:
                before = AuditEntry.objects.count()
                r = ask(client, method, url, route, world)
                wrote = AuditEntry.objects.count() - before
                transaction.set_rollback(True)
            if found := problem(audience, persona, method, r):
                problems.append(f"{method} {url}: {found}")
            elif persona not in audience and wrote:
                problems.append(f"{method} {url}: refused {persona}, yet wrote {wrote} entries")
            if method == "GET" and (
                tables := writes_of(queries.captured_queries) - GET_MAY_WRITE.get(route, set())
            ):
                problems.append(f"GET {url} as {persona} wrote to {', '.join(sorted(tables))}")
    return problems


def test_every_route_and_operation_is_classified():
    served = set(django_routes()) | set(api_operations())
    assert served - set(ACCESS) == set(), "classify these routes in ACCESS"
    assert set(ACCESS) - served == set(), "these classified routes no longer exist"


@pytest.mark.django_db
@pytest.mark.parametrize("route", django_routes() + api_operations())
def test_every_persona_gets_what_the_route_is_meant_for_and_nothing_else(world, route):
    assert sweep_route(world, route, ACCESS.get(route, set())) == []


@pytest.mark.django_db
@pytest.mark.parametrize("username", [None, "outsider", "surgery-coordinator", "gme-admin"])
def test_a_secret_token_route_answers_404_to_anyone_without_the_token(world, username):
    r = client_for(username).get("/calendars/feed/Xq3v9k2LmN8pR4sT6uW1yZ0aB5cD7eF9gH2jK4lM6nP.ics")
    assert r.status_code == 404


# --- The positive control ---------------------------------------------------------------

urlpatterns: list[Any] = []  # set below: the project's routes plus one that leaks


def leaky(request: Any, slug: str) -> Any:
    """A view that forgets to check who is asking: it must be caught."""
    from django.http import JsonResponse

    from meded.org.models import Appointment

    names = Appointment.objects.filter(program__slug=slug).values_list(
        "person__last_name", flat=True
    )
    return JsonResponse({"residents": list(names)})


def _control_urls() -> list[Any]:
    from django.urls import include, path

    return [path("control/<slug:slug>/", leaky), path("", include("meded.urls"))]


@pytest.mark.django_db
def test_the_sweep_catches_a_view_that_forgets_to_check_access(world, settings):
    global urlpatterns
    urlpatterns = _control_urls()
    settings.ROOT_URLCONF = __name__
    routes = set(sweep.routes())
    assert "control/<slug:slug>/" in routes and "control/<slug:slug>/" not in ACCESS
    found = sweep_route(world, "control/<slug:slug>/", IM_PLANNERS)
    assert any("not meant for outsider" in p for p in found), found
    assert any("not meant for anonymous" in p for p in found), found
    assert any("not meant for surgery-coordinator" in p for p in found), found
    # and a route it judges fine under the same conditions stays fine
    assert sweep_route(world, "schedules/<slug:slug>/<int:pk>/rules/", IM_PLANNERS) == []
