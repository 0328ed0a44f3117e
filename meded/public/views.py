"""Public pages: open to anyone, signed in or not. Counts, programs, tracks and sites only;
never a person's name."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from meded.org.models import Program
from meded.public.facts import facts_at_a_glance, program_page, public_programs


def facts(request: HttpRequest) -> HttpResponse:
    return render(request, "public/facts.html", {"facts": facts_at_a_glance()})


def programs(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    qs = public_programs().order_by("-institution__is_sponsor", "institution__name", "name")
    if kind in Program.Kind.values:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    return render(
        request,
        "public/programs.html",
        {"programs": qs, "kind": kind, "kinds": Program.Kind.choices},
    )


def program(request: HttpRequest, slug: str) -> HttpResponse:
    p = public_programs().select_related("department").filter(slug=slug).first()
    if p is None:
        raise Http404("No such program")
    return render(request, "public/program.html", {"page": program_page(p)})
