"""The signed-in landing page: what needs the user, then their own panels (next shifts, their
rotation, who is on call now), their programs and appointments. The apps contribute the
items and panels through meded.core.attention; this view knows none of them."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from meded.core import attention
from meded.org.access import viewer_for, visible_programs
from meded.org.models import Appointment


@login_required
def home(request: HttpRequest) -> HttpResponse:
    v = viewer_for(request.user)
    if not v.has_any_role:  # no current role: the "no role" message only
        return render(request, "home/home.html", {})
    today = timezone.localdate()
    programs = visible_programs(request.user).select_related("institution")
    if v.is_gme_admin:
        programs = programs.none()  # the GME office starts from the program list, not 300 cards
    own = []
    if v.person_id:
        own = list(
            Appointment.objects.filter(person_id=v.person_id)
            .select_related("program", "track", "continuity_site", "department")
            .prefetch_related("years__academic_year")
        )
    return render(
        request,
        "home/home.html",
        {
            "programs": programs[:50],
            "appointments": own,
            "items": attention.items_for(v, request.user, today),
            "panels": attention.panels_for(v, request.user, today),
        },
    )
