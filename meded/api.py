"""The JSON API under /api/ (OpenAPI at /api/openapi.json). Each app contributes a router.

Errors: a request that does not match an operation's schema answers 422 with ninja's
``{"detail": [{"loc": [...], "msg": ...}]}``; a value that fits the schema but not the data
(`meded.core.inputs.BadInput`, e.g. a date range too long) 400 with ``{"detail": "field: ..."}``;
403 and 404 ``{"detail": "..."}``; anything else 500 ``{"detail": ...}``, logged, never a
traceback."""

import logging

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import django_auth

from meded.audit.api import router as audit_router
from meded.calendars.api import router as calendars_router
from meded.core.inputs import BadInput
from meded.jobs.api import router as jobs_router
from meded.org.api import router as org_router
from meded.org.roster_api import router as roster_router
from meded.public.api import router as public_router
from meded.rosters.api import router as rosters_router
from meded.schedules.api import router as schedules_router

api = NinjaAPI(
    title="meded API",
    version="1",
    description="Programs, people, rosters and the audit log of a teaching hospital.",
    auth=django_auth,
    urls_namespace="api",
)
log = logging.getLogger("meded.api")


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not allowed."}, status=403)


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
def bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": "Bad request."}, status=400)


@api.exception_handler(Exception)
def unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Any error no other handler answers: logged with its traceback, answered as plain JSON
    (never a traceback or a settings page, whatever DEBUG says)."""
    log.exception("Unhandled error in %s %s", request.method, request.path)
    return api.create_response(
        request, {"detail": "Internal server error. The error has been logged."}, status=500
    )


@api.exception_handler(BadInput)
def bad_input(request: HttpRequest, exc: BadInput) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


api.add_router("/public", public_router)
api.add_router("/", org_router)
api.add_router("/", roster_router)
api.add_router("/audit", audit_router)
api.add_router("/jobs", jobs_router)
api.add_router("/schedules", schedules_router)
api.add_router("/calendars", calendars_router)
api.add_router("/rosters", rosters_router)
