"""The public facts as JSON: no sign-in needed (auth=None on every operation)."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from meded.core.inputs import Slug
from meded.public.facts import facts_at_a_glance, program_page, public_programs

router = Router(tags=["public"])


class InstitutionOut(Schema):
    name: str
    short_name: str
    slug: str
    kind: str
    city: str
    is_sponsor: bool
    programs: int


class KindCountOut(Schema):
    kind: str
    label: str
    count: int


class FactsOut(Schema):
    today: dt.date
    academic_year: str
    sponsor: str | None
    residency_programs: int
    fellowship_programs: int
    physician_trainees: int
    students_on_rotation: int
    clinical_staff_requiring_cme: int
    network_programs: int
    network_trainees: int
    programs_by_kind: list[KindCountOut]
    institutions: list[InstitutionOut]


class ProgramSummaryOut(Schema):
    name: str
    slug: str
    kind: str
    specialty: str
    institution: str


class TrackOut(Schema):
    name: str
    code: str
    description: str
    clinical_years: int
    is_preliminary: bool
    current_residents: int


class SiteOut(Schema):
    name: str
    short_name: str
    code: str
    address: str
    description: str
    tracks: list[str]
    tracks_label: str
    residents_placed_label: str
    current_residents: int


class ProgramOut(ProgramSummaryOut):
    description: str
    department: str | None
    accreditation_id: str | None
    current_residents: int
    tracks: list[TrackOut]
    sites: list[SiteOut]


@router.get("/facts", response=FactsOut, auth=None, summary="Facts at a glance")
def facts(request: HttpRequest) -> object:
    return facts_at_a_glance()


@router.get(
    "/programs", response=list[ProgramSummaryOut], auth=None, summary="Public training programs"
)
def programs(request: HttpRequest) -> list[dict[str, str]]:
    return [
        {
            "name": p.name,
            "slug": p.slug,
            "kind": p.kind,
            "specialty": p.specialty,
            "institution": p.institution.name,
        }
        for p in public_programs().order_by("name")
    ]


@router.get(
    "/programs/{slug}",
    response=ProgramOut,
    auth=None,
    summary="A public program's tracks and sites",
)
def program(request: HttpRequest, slug: Slug) -> dict[str, object]:
    p = public_programs().select_related("department").filter(slug=slug).first()
    if p is None:
        raise Http404("No such program")
    page = program_page(p)
    return {
        "name": p.name,
        "slug": p.slug,
        "kind": p.kind,
        "specialty": p.specialty,
        "institution": p.institution.name,
        "description": p.description,
        "department": p.department.name if p.department else None,
        "accreditation_id": p.accreditation_id,
        "current_residents": page.current_residents,
        "tracks": page.tracks,
        "sites": page.sites,
    }
