"""Roster import/export API endpoints (mounted by meded/api.py at /api/).

POST /api/programs/{slug}/roster/import   multipart `file`, form `dry_run` -> the job
GET  /api/programs/{slug}/roster/export?format=csv|xlsx
GET  /api/roster-template?format=csv|xlsx

Same rules as the screens: programs the user may not see answer 404, programs they see but
may not manage answer 403."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.responses import Status

from meded.core.inputs import Slug, Text
from meded.jobs.api import JobOut, job_out
from meded.org import access, actions
from meded.org.models import Program
from meded.org.roster import RosterFileError
from meded.org.tasks import start_roster_import

router = Router(tags=["roster"])


def _managed(request: HttpRequest, slug: str) -> Program:
    try:
        return access.get_program_for_manage(request.user, slug)
    except PermissionDenied as e:
        raise HttpError(403, str(e)) from e


def _download(export: actions.Export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    return response


class ImportIn(Schema):
    dry_run: bool = False


@router.post("/programs/{slug}/roster/import", response={202: JobOut})
def import_roster(
    request: HttpRequest, slug: Slug, file: File[UploadedFile], form: Form[ImportIn]
) -> Status[dict[str, Any]]:
    """Queue a roster import (or, with dry_run, a check that writes nothing). Poll
    GET /api/jobs/{id} for progress and the result."""
    program = _managed(request, slug)
    if problem := actions.size_problem(file.size or 0):
        raise HttpError(413, problem)
    try:
        job = actions.do_queue_roster_import(
            request.user, program, file.name or "roster", file.read(), dry_run=form.dry_run
        )
    except RosterFileError as e:
        raise HttpError(400, e.message) from e
    return Status(202, job_out(start_roster_import(job)))


@router.get("/programs/{slug}/roster/export")
def export_roster(request: HttpRequest, slug: Slug, format: Text = "csv") -> HttpResponse:
    """The roster as a file in the import format (recorded in the audit log)."""
    program = _managed(request, slug)
    if format not in actions.CONTENT_TYPES:
        raise HttpError(400, "format must be csv or xlsx")
    return _download(actions.do_export_roster(request.user, program, format))


@router.get("/roster-template")
def roster_template(request: HttpRequest, format: Text = "csv", program: Text = "") -> HttpResponse:
    """The blank roster file with every column described."""
    try:
        access.require_any_role(request.user)
    except PermissionDenied as e:
        raise HttpError(403, str(e)) from e
    if format not in actions.CONTENT_TYPES:
        raise HttpError(400, "format must be csv or xlsx")
    prog = access.get_program_for_view(request.user, program) if program else None
    return _download(actions.roster_template(format, prog))
