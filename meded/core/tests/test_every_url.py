"""A sweep over every URL the project serves: the outsider and a user of another program
get nothing from any page or endpoint that is not public. Every new URL is swept
automatically as guarded; one meant to be open must be listed in PUBLIC or SELF here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from meded.jobs.models import Job
from meded.org.models import Appointment, Program

pytestmark = pytest.mark.django_db

# Open to anyone, signed in or not. (ninja's "api/" root route only answers 404.)
PUBLIC = {
    "",
    "programs/",
    "programs/<slug:slug>/",
    "accounts/login/",
    "accounts/logout/",
    "accounts/password-reset/",
    "accounts/password-reset/sent/",
    "accounts/password-reset/<uidb64>/<token>/",
    "accounts/password-reset/done/",
    "healthz",
    "api/openapi.json",
    "api/docs",
    "api/public/facts",
    "api/public/programs",
    "api/public/programs/<slug>",
}
# Open to every signed-in user, about themselves or harmless (a blank template).
SELF = {
    "home/",
    "api/me",
    "org/roster-template.csv",
    "org/roster-template.xlsx",
    "api/roster-template",
}
# Open to whoever holds a secret token in the URL (calendar apps cannot sign in). Swept as
# guarded with a made-up token, and checked below to answer 404, never a sign-in redirect.
TOKEN = {"calendars/feed/<slug:token>.ics"}
MADE_UP_TOKEN = "Xq3v9k2LmN8pR4sT6uW1yZ0aB5cD7eF9gH2jK4lM6nP"
# Write endpoints: checked with a well-formed POST (so the answer is about access, not form).
POST_ONLY = {
    "api/programs/<slug>/roster/import",
    "api/jobs/<job_id>/cancel",
    "api/rosters/<slug>/swaps/<swap_id>/<decision>",
}
ROSTER = b"email,first_name,last_name,track,pgy\nx@example.org,A,B,categorical,1\n"


def request(client, route: str, url: str):
    if route == "api/programs/<slug>/roster/import":
        return client.post(url, {"file": SimpleUploadedFile("r.csv", ROSTER), "dry_run": "false"})
    if route in POST_ONLY:
        return client.post(url, {}, content_type="application/json")
    return client.get(url)


def routes(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = ""
) -> Iterator[str]:
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            yield from routes(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)


@pytest.fixture
def values(im: Program) -> dict[str, str]:
    """Real Internal Medicine objects for every parameter a route takes."""
    appt = Appointment.objects.get(person__user__username="resident", kind="trainee")
    job = Job.objects.create(
        kind="roster_import",
        title="Roster import",
        program=im,
        created_by=User.objects.get(username="coordinator"),
    )
    return {
        "<slug:slug>": im.slug,
        "<slug>": im.slug,
        "<int:pk>": str(appt.person_id),
        "<person_id>": str(appt.person_id),
        "<slug:code>": "ima",
        "<slug:token>": MADE_UP_TOKEN,
        "<uuid:pk>": str(job.pk),
        "<job_id>": str(job.pk),
        "trainees/<int:pk>": f"trainees/{appt.pk}",
        "<slug:kind>": "requirements",
        "<str:rule_id>": "vacation",
        "<int:rotation_id>": "1",
        "<code>": "micu",
        "<int:block>": "1",
        "<int:swap_id>": "1",
        "<swap_id>": "1",
        "<decision>": "approve",
        "<uidb64>": "MQ",
        "<token>": "made-up-reset-token",
    }


def fill(route: str, values: dict[str, str]) -> str:
    route = route.replace("trainees/<int:pk>", values["trainees/<int:pk>"])
    if route.startswith("org/institutions/<slug:slug>"):
        route = route.replace("<slug:slug>", "mgh")
    for key, value in values.items():
        route = route.replace(key, value)
    assert "<" not in route, f"no test value for a parameter of {route}"
    return "/" + route


def guarded() -> list[str]:
    return [r for r in routes() if r not in PUBLIC | SELF | {"api/"}]


def test_every_route_is_either_public_self_or_guarded():
    all_routes = set(routes())
    assert all_routes >= PUBLIC | SELF | POST_ONLY | TOKEN, "a classified route no longer exists"
    assert len(guarded()) >= 30


@pytest.mark.parametrize("route", guarded())
def test_the_outsider_gets_nothing_from_a_guarded_route(as_user, values, route):
    client = as_user("outsider")
    url = fill(route, values)
    r = request(client, route, url)
    assert r.status_code in (401, 403, 404), f"{url} answered {r.status_code}"


@pytest.mark.parametrize("route", [r for r in guarded() if "slug" in r or "<" in r])
def test_another_programs_user_gets_nothing_of_internal_medicine(as_user, values, route):
    client = as_user("surgery-coordinator")
    url = fill(route, values)
    if "org/institutions" in route or "org/sites" in route:
        pytest.skip("institutions and sites are shared by every program")
    r = request(client, route, url)
    assert r.status_code in (401, 403, 404), f"{url} answered {r.status_code}"


@pytest.mark.parametrize("route", guarded())
def test_an_anonymous_visitor_gets_nothing_from_a_guarded_route(as_user, values, route):
    url = fill(route, values)
    client = as_user(None)
    r = request(client, route, url)
    assert r.status_code in (302, 401, 403, 404), f"{url} answered {r.status_code}"
    if r.status_code == 302:
        assert r["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("route", sorted(PUBLIC - {"accounts/logout/"}))
def test_public_routes_answer_anyone(as_user, values, route):
    assert as_user(None).get(fill(route, values)).status_code == 200


@pytest.mark.parametrize("route", sorted(TOKEN))
@pytest.mark.parametrize("username", [None, "outsider", "surgery-coordinator", "gme-admin"])
def test_a_secret_token_route_answers_404_to_anyone_without_the_token(
    as_user, values, route, username
):
    r = as_user(username).get(fill(route, values))
    assert r.status_code == 404
