"""The JSON API under /api/ (OpenAPI at /api/openapi.json). Each app contributes a router."""

from ninja import NinjaAPI
from ninja.security import django_auth

from meded.audit.api import router as audit_router
from meded.calendars.api import router as calendars_router
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
api.add_router("/public", public_router)
api.add_router("/", org_router)
api.add_router("/", roster_router)
api.add_router("/audit", audit_router)
api.add_router("/jobs", jobs_router)
api.add_router("/schedules", schedules_router)
api.add_router("/calendars", calendars_router)
api.add_router("/rosters", rosters_router)
