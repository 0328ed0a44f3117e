"""The job page: what a background job is doing, refreshed by htmx while it runs."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from meded.jobs.access import get_job_for_view


@login_required
def detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    job = get_job_for_view(request.user, pk)
    return render(request, "jobs/detail.html", {"job": job})


@login_required
def progress(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The part of the page that changes; htmx swaps it every second until the job ends."""
    job = get_job_for_view(request.user, pk)
    return render(request, "jobs/_progress.html", {"job": job})
