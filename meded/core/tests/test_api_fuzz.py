"""Schemathesis over the whole OpenAPI schema: every operation of /api/openapi.json, signed in
as each persona and anonymously, answers anything but a server error (4xx is fine).

The schema is read from the Django app itself (WSGI, no server), so every endpoint that exists
when the tests run is fuzzed, whoever added it. Requests run inside the test's transaction, each
in a savepoint that is rolled back, so whatever the fuzzer writes is undone and one failing
query cannot spoil the next request. Path parameters are now and then swapped for real
objects of the demo (a program's slug, a person's id, a job's id, a rotation's code), so the
fuzzer gets past the 404s into the endpoints' real work.

The number of examples is bounded (EXAMPLES below, plus schemathesis' coverage cases: the
boundaries and wrong types of each parameter, and bodies that break the schema). A second test
sends each value that has broken an endpoint before (NASTY) to every path and query parameter
in turn. The solve endpoint validates its time limit (at most 600 s), but a valid request still
solves for that long, so here background tasks are queued and not run (`queued_only`)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from conftest import PERSONA_NAMES
from meded.jobs.models import Job
from meded.org.models import Appointment, Program
from meded.rosters.tests.conftest import published, solved, sy
from meded.schedules.models import Rotation, ScheduleVersion

__all__ = ["published", "solved", "sy"]

# Generated examples per operation and persona (schemathesis adds its coverage cases: the
# boundaries and wrong types of each parameter). MEDED_FUZZ_EXAMPLES raises it for a longer run.
EXAMPLES = int(os.environ.get("MEDED_FUZZ_EXAMPLES", "8"))
PERSONAS = [None, *PERSONA_NAMES]


@pytest.fixture
def queued_only(settings: Any) -> None:
    """Background tasks are queued, not run: a valid solve request runs the solver for up to
    600 s (or the year's own solve time), which the test settings would do inline. The solve
    task has tests of its own; here what matters is the answer to the request."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def wsgi_app(queued_only: None) -> Iterator[WSGIHandler]:
    """Django's WSGI application, called in the test's thread (so on the test's database
    connection and inside its transaction). Django closes a connection in a transaction at the
    end of a request; the test client lifts that, and so does this."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(params=PERSONAS, ids=lambda p: p or "anonymous")
def persona(request: pytest.FixtureRequest) -> str | None:
    return request.param


@pytest.fixture
def signed_in(persona: str | None) -> dict[str, dict[str, str]]:
    """The session cookie of the persona (none when anonymous) and a CSRF token the way a
    browser sends it: the cookie and the X-CSRFToken header."""
    token = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
    cookies = {"csrftoken": token}
    if persona is not None:
        client = Client()
        client.force_login(User.objects.get(username=persona))
        cookies["sessionid"] = client.cookies["sessionid"].value
    return {"cookies": cookies, "headers": {"X-CSRFToken": token}}


@pytest.fixture
def real_values(published: ScheduleVersion, im: Program) -> dict[str, list[Any]]:
    """Real objects of the demo for the path parameters the API takes, by name."""
    job = Job.objects.create(
        kind="roster_import",
        title="Roster import",
        program=im,
        created_by=User.objects.get(username="coordinator"),
    )
    resident = Appointment.objects.filter(person__user__username="resident").first()
    assert resident is not None
    return {
        "slug": [im.slug, "general-surgery-residency"],
        "person_id": [resident.person_id],
        "job_id": [str(job.pk)],
        "code": list(Rotation.objects.filter(program=im).values_list("code", flat=True)[:3]),
        "year": [published.schedule_year.pk],
        "version": [published.pk],
    }


# Values that have broken endpoints before: characters the database refuses, numbers past its
# integers, dates past the calendar's ends or not dates at all. Now and then one of them
# replaces a generated parameter, whatever its type.
NASTY = [
    "\x00",
    "a\x00b",
    "\u00b2",  # '²': str.isdigit() says yes, int() says no
    "9999-12-31",
    "0001-01-01",
    "2026-13-45",
    "9999-12",
    str(2**31),
    str(2**63),
    str(-(2**63) - 1),
    "1e309",
    "x" * 1000,
]


def _varied(
    generated: dict[str, Any] | None, names: list[str], real: dict[str, list[Any]]
) -> st.SearchStrategy[dict[str, Any] | None]:
    """The generated parameters, or with real objects put in, or with one parameter (of any of
    the operation's `names`) made nasty."""
    base = dict(generated or {})
    choices: list[st.SearchStrategy[dict[str, Any] | None]] = [st.just(generated)]
    known = {k: v for k, v in real.items() if k in names and v}
    if known:
        fixed = st.fixed_dictionaries({k: st.sampled_from(v) for k, v in known.items()})
        choices.append(fixed.map(lambda r: {**base, **r}))
    if names:
        choices.append(
            st.tuples(st.sampled_from(names), st.sampled_from(NASTY)).map(
                lambda kv: {**base, kv[0]: kv[1]}
            )
        )
    return st.one_of(choices)


@pytest.fixture
def api_schema(
    persona: str | None,
    wsgi_app: WSGIHandler,
    real_values: dict[str, list[Any]],
    request: pytest.FixtureRequest,
) -> Any:
    """The schema as the app serves it now (for one persona: the test runs once for each),
    with hooks that vary path and query parameters (real objects, nasty values)."""
    # schemathesis' lazy loader renames the test node for its reports through a private
    # attribute that pytest 9.2 no longer has; give it one.
    request.node._nodeid = request.node.nodeid
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    # Methods an operation does not declare answer 405 (Django's and ninja's own routing).
    schema.config.phases.coverage.unexpected_methods = set()

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: Any) -> Any:
        names = [p.name for p in context.operation.path_parameters]
        return _varied(path_parameters, names, real_values)

    @schema.hook
    def flatmap_query(context: Any, query: Any) -> Any:
        names = [p.name for p in context.operation.query]
        return _varied(query, names, real_values)

    return schema


lazy_schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.django_db
@lazy_schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_api_operation_answers_a_server_error(
    case: Any,
    wsgi_app: WSGIHandler,
    signed_in: dict[str, dict[str, str]],
) -> None:
    with transaction.atomic():
        response = case.call(
            app=wsgi_app, cookies=signed_in["cookies"], headers=signed_in["headers"]
        )
        transaction.set_rollback(True)
    case.validate_response(response, checks=[not_a_server_error])


# --- Every parameter, every nasty value --------------------------------------------------------
# Random generation finds a value that breaks one parameter only now and then; this pass makes
# sure of it: every path and query parameter of every operation in the schema, one at a time,
# gets each NASTY value, the other path parameters real objects (so the request reaches the
# endpoint's work), as three personas whose access together reaches every endpoint.


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["gme-admin", "director", "resident"], indirect=True)
def test_no_api_parameter_answers_a_server_error_to_a_value_that_broke_one_before(
    api_schema: Any,
    wsgi_app: WSGIHandler,
    signed_in: dict[str, dict[str, str]],
    real_values: dict[str, list[Any]],
) -> None:
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        real_path = {p.name: real_values.get(p.name, ["x"])[0] for p in operation.path_parameters}
        targets = [("path_parameters", p.name) for p in operation.path_parameters]
        targets += [("query", p.name) for p in operation.query]
        for location, name in targets:
            for bad in NASTY:
                values: dict[str, dict[str, Any]] = {
                    "path_parameters": dict(real_path),
                    "query": {},
                }
                values[location][name] = bad
                case = operation.Case(**values)
                with transaction.atomic():
                    response = case.call(
                        app=wsgi_app, cookies=signed_in["cookies"], headers=signed_in["headers"]
                    )
                    transaction.set_rollback(True)
                if response.status_code >= 500:
                    failures.append(
                        f"{operation.label} {name}={bad[:20]!r}: {response.status_code}"
                    )
    assert failures == []
