"""The audit log screen: who changed what and when, newest first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from meded.audit import events, queries
from meded.audit.models import AuditEntry


@login_required
def log(request: HttpRequest) -> HttpResponse:
    page = queries.audit_page(request.user, request.GET)
    params = request.GET.copy()
    params.pop("before", None)
    return render(
        request,
        "audit/log.html",
        {
            "page": page,
            "f": page.filters,
            "querystring": params.urlencode(),
            "actions": AuditEntry.Action.choices,
            "events": events.all_events(),
            "programs": queries.programs_for_filter(request.user),
            "object_types": [
                "org.person",
                "org.appointment",
                "org.traineeyear",
                "org.program",
                "org.institution",
            ],
            "is_first_page": not request.GET.get("before"),
        },
        # A filter that is not understood is named on the page, answered as a bad request.
        status=400 if page.problems else 200,
    )
