"""Roster import and export pages. Thin: access from meded.org.access, writes through
meded.org.actions, the import itself runs as a Job (meded.org.tasks)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from meded.core import inputs
from meded.org import access, actions, roster
from meded.org.models import Program, Site
from meded.org.roster import RosterFileError
from meded.org.tasks import start_roster_import


def _download(export: actions.Export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest, slug: str) -> HttpResponse:
    program = access.get_program_for_manage(request.user, slug)
    error = ""
    dry_run = request.method == "POST" and bool(request.POST.get("dry_run"))
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "Choose a roster file (CSV or XLSX) to upload."
        elif too_big := actions.size_problem(upload.size or 0):
            error = too_big  # refused before reading it into memory
        else:
            try:
                job = actions.do_queue_roster_import(
                    request.user,
                    program,
                    upload.name or "roster",
                    upload.read(),
                    dry_run=dry_run,
                )
            except RosterFileError as e:
                error = e.message
            else:
                start_roster_import(job)
                return redirect("jobs:detail", job.pk)
    return render(
        request,
        "org/roster_import.html",
        {
            "program": program,
            "columns": roster.COLUMNS,
            "tracks": program.tracks.all(),
            "sites": Site.objects.filter(tracks__program=program).distinct(),
            "error": error,
            "dry_run": dry_run,
            "max_mb": settings.MEDED_MAX_UPLOAD_BYTES // 1_048_576,
        },
        status=400 if error else 200,
    )


def _export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    program = access.get_program_for_manage(request.user, slug)
    return _download(actions.do_export_roster(request.user, program, fmt))


@login_required
@require_GET
def roster_export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    return _export(request, slug, "csv")


@login_required
@require_GET
def roster_export_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    return _export(request, slug, "xlsx")


def _template(request: HttpRequest, fmt: str) -> HttpResponse:
    """The blank template; ?program=<slug> lists that program's tracks in the XLSX notes."""
    access.require_any_role(request.user)
    program: Program | None = None
    slug = inputs.parse_text(request.GET, "program")
    if slug:
        program = access.get_program_for_view(request.user, slug)
    return _download(actions.roster_template(fmt, program))


@login_required
@require_GET
def roster_template_csv(request: HttpRequest) -> HttpResponse:
    return _template(request, "csv")


@login_required
@require_GET
def roster_template_xlsx(request: HttpRequest) -> HttpResponse:
    return _template(request, "xlsx")
