"""The jobs pages: the list of jobs a user may see, one job's page (refreshed by htmx while it
runs), cancelling a job, and asking it to stop early with what it has."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from meded.core.viewers import viewer_of
from meded.jobs.access import get_job_for_view, visible_jobs
from meded.jobs.actions import JobError, do_cancel_job, do_stop_job_early
from meded.jobs.models import Job

PAGE_SIZE = 50


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Jobs newest first, with who started them: for users with a role (a login with none
    sees the public pages only)."""
    if not viewer_of(request.user).has_any_role:
        raise PermissionDenied("Your account has no role in any program.")
    status = request.GET.get("status", "")
    jobs = visible_jobs(request.user)
    if status in Job.Status.values:
        jobs = jobs.filter(status=status)
    else:
        status = ""
    return render(
        request,
        "jobs/index.html",
        {
            "jobs": jobs.order_by("-created_at")[:PAGE_SIZE],
            "status": status,
            "statuses": Job.Status.choices,
        },
    )


@login_required
def detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    job = get_job_for_view(request.user, pk)
    return render(request, "jobs/detail.html", {"job": job, "job_page": request.path})


@login_required
def progress(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The part of the page that changes; htmx swaps it every second until the job ends."""
    job = get_job_for_view(request.user, pk)
    page = reverse("jobs:detail", args=[job.pk])
    return render(request, "jobs/_progress.html", {"job": job, "job_page": page})


@login_required
def cancel(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    job = get_job_for_view(request.user, pk)  # 404 first: a job's existence does not leak
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        job = do_cancel_job(request.user, job)
    except (JobError, PermissionDenied) as e:
        messages.error(request, str(e))
    else:
        if job.status == Job.Status.CANCELLED:
            messages.success(request, "The job is cancelled.")
        else:
            messages.info(request, "Cancelling: the job stops at its worker's next sign of life.")
    return _back(request, job)


@login_required
def stop_early(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """ "Good enough, stop here": the job ends at its worker's next sign of life, keeping the
    best it has found."""
    job = get_job_for_view(request.user, pk)  # 404 first, as for cancel
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        job = do_stop_job_early(request.user, job)
    except (JobError, PermissionDenied) as e:
        messages.error(request, str(e))
    else:
        messages.info(request, "Stopping here: the best found so far is kept in a moment.")
    return _back(request, job)


def _back(request: HttpRequest, job: Job) -> HttpResponse:
    """To the page the form came from (``next``, on this site), else the job's page."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(back)
    return redirect("jobs:detail", pk=job.pk)
