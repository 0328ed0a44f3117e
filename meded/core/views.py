"""The signed-in landing page: what each role sees first."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from meded.org.access import viewer_for, visible_programs
from meded.org.models import Appointment


@login_required
def home(request: HttpRequest) -> HttpResponse:
    v = viewer_for(request.user)
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
    return render(request, "core/home.html", {"programs": programs[:50], "appointments": own})
