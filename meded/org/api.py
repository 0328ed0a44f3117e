"""Organization API: programs, rosters, people, sites, institutions, academic years.

Same access rules as the screens (meded.org.access); session authentication."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from meded.core.inputs import Id, Pagination, Slug, SmallInt, Text
from meded.core.paging import search_terms
from meded.org import access, queries
from meded.org.models import AcademicYear, Appointment, Institution, Person, Program

router = Router(tags=["organization"])

PERSON_SEARCH = ["first_name", "last_name", "preferred_name", "email", "external_id"]


def _staff(request: HttpRequest) -> None:
    try:
        access.require_staff(request.user)
    except PermissionDenied as e:
        raise HttpError(403, str(e)) from e


class MeOut(Schema):
    username: str
    persona: str
    person_id: int | None
    is_gme_admin: bool
    programs: list[str]


class InstitutionOut(Schema):
    id: int
    name: str
    short_name: str
    slug: str
    kind: str
    city: str
    is_sponsor: bool


class TrackOut(Schema):
    code: str
    name: str
    clinical_years: int
    is_preliminary: bool


class ProgramOut(Schema):
    id: int
    slug: str
    name: str
    kind: str
    specialty: str
    accreditation_id: str | None
    institution: str = Field(..., alias="institution.name")
    min_pgy: int
    max_pgy: int


class ProgramDetailOut(ProgramOut):
    description: str
    tracks: list[TrackOut]
    leadership: list[dict[str, Any]]


class SiteOut(Schema):
    code: str
    name: str
    kind: str
    address: str
    tracks: list[str]
    residents_placed: str
    residents_now: int
    description: str


class RosterEntryOut(Schema):
    person_id: int
    external_id: str | None
    email: str | None
    first_name: str
    last_name: str
    track: str | None
    pgy: int | None
    continuity_site: str | None
    start_date: dt.date
    end_date: dt.date | None
    status: str


class AppointmentOut(Schema):
    kind: str
    program: str | None
    department: str | None
    track: str | None
    title: str
    start_date: dt.date
    end_date: dt.date | None
    status: str


class PersonOut(Schema):
    id: int
    first_name: str
    last_name: str
    preferred_name: str
    degrees: str
    email: str | None
    external_id: str | None
    kind: str


class PersonDetailOut(PersonOut):
    appointments: list[AppointmentOut]


class AcademicYearOut(Schema):
    name: str
    start_date: dt.date
    end_date: dt.date
    is_current: bool


def _program_out(p: Program) -> dict[str, Any]:
    return {
        "id": p.pk,
        "slug": p.slug,
        "name": p.name,
        "kind": p.kind,
        "specialty": p.specialty,
        "accreditation_id": p.accreditation_id,
        "institution": p.institution.name,
        "min_pgy": p.min_pgy,
        "max_pgy": p.max_pgy,
    }


def _program(request: HttpRequest, slug: str) -> Program:
    try:
        return access.get_program_for_view(request.user, slug)
    except Http404 as e:
        raise HttpError(404, "No such program") from e


@router.get("/me", response=MeOut, summary="Who am I and what can I see")
def me(request: HttpRequest) -> dict[str, Any]:
    v = access.viewer_for(request.user)
    slugs = list(
        Program.objects.filter(pk__in=v.staff_program_ids | v.trainee_program_ids).values_list(
            "slug", flat=True
        )
    )
    return {
        "username": request.user.get_username(),
        "persona": v.persona,
        "person_id": v.person_id,
        "is_gme_admin": v.is_gme_admin,
        "programs": slugs,
    }


@router.get("/institutions", response=list[InstitutionOut])
def institutions(request: HttpRequest) -> Any:
    _staff(request)
    return Institution.objects.all()


@router.get("/academic-years", response=list[AcademicYearOut])
def academic_years(request: HttpRequest) -> list[dict[str, Any]]:
    _staff(request)
    current = queries.current_year()
    return [
        {
            "name": y.name,
            "start_date": y.start_date,
            "end_date": y.end_date,
            "is_current": y == current,
        }
        for y in AcademicYear.objects.all()
    ]


@router.get("/programs", response=list[ProgramOut])
@paginate(Pagination)
def programs(
    request: HttpRequest, q: Text = "", kind: Text = "", institution: Text = ""
) -> list[dict[str, Any]]:
    _staff(request)
    qs = access.visible_programs(request.user).select_related("institution").order_by("name")
    if q:
        qs = qs.filter(search_terms(q, ["name", "specialty", "accreditation_id"]))
    if kind:
        qs = qs.filter(kind=kind)
    if institution:
        qs = qs.filter(institution__slug=institution)
    return qs  # type: ignore[return-value]  # paginate slices the queryset, then serializes


@router.get("/programs/{slug}", response=ProgramDetailOut)
def program(request: HttpRequest, slug: Slug) -> dict[str, Any]:
    p = _program(request, slug)
    return {
        **_program_out(p),
        "institution.name": p.institution.name,
        "description": p.description,
        "tracks": list(p.tracks.all()),
        "leadership": [
            {"role": r.role, "person_id": r.person_id, "name": r.person.full_name}
            for r in p.roles.select_related("person")
        ],
    }


@router.get("/programs/{slug}/roster", response=list[RosterEntryOut])
@paginate(Pagination)
def program_roster(
    request: HttpRequest, slug: Slug, track: Text = "", pgy: SmallInt | None = None
) -> list[dict[str, Any]]:
    p = _program(request, slug)
    qs = queries.roster(p)
    if track:
        qs = qs.filter(track__code=track)
    if pgy is not None:
        qs = qs.filter(Q(pgy=pgy))  # an annotation (queries.with_pgy)
    return [
        {
            "person_id": a.person_id,
            "external_id": a.person.external_id,
            "email": a.person.email,
            "first_name": a.person.first_name,
            "last_name": a.person.last_name,
            "track": a.track.code if a.track else None,
            "pgy": a.pgy,  # type: ignore[attr-defined]
            "continuity_site": a.continuity_site.code if a.continuity_site else None,
            "start_date": a.start_date,
            "end_date": a.end_date,
            "status": a.status,
        }
        for a in qs
    ]


@router.get("/programs/{slug}/sites", response=list[SiteOut])
def program_sites(request: HttpRequest, slug: Slug) -> list[dict[str, Any]]:
    p = _program(request, slug)
    return [_site_out(s) for s in queries.sites_with_counts(p).filter(tracks__program=p).distinct()]


def _site_out(s: Any) -> dict[str, Any]:
    return {
        "code": s.code,
        "name": s.name,
        "kind": s.kind,
        "address": s.address,
        "tracks": [t.name for t in s.tracks.all()],
        "residents_placed": s.residents_placed_label,
        "residents_now": s.placed,
        "description": s.description,
    }


@router.get("/sites", response=list[SiteOut])
def sites(request: HttpRequest) -> list[dict[str, Any]]:
    _staff(request)
    return [_site_out(s) for s in queries.sites_with_counts()]


@router.get("/people", response=list[PersonOut])
@paginate(Pagination)
def people(request: HttpRequest, q: Text = "", kind: Text = "", program: Text = "") -> Any:
    _staff(request)
    qs = access.visible_people(request.user)
    if q:
        qs = qs.filter(search_terms(q, PERSON_SEARCH))
    if kind:
        qs = qs.filter(kind=kind)
    if program:
        qs = qs.filter(appointments__program__slug=program).distinct()
    return qs.order_by("last_name", "first_name", "id")


@router.get("/people/{person_id}", response=PersonDetailOut)
def person(request: HttpRequest, person_id: Id) -> dict[str, Any]:
    who: Person | None = access.visible_people(request.user).filter(pk=person_id).first()
    if who is None:
        raise HttpError(404, "No such person")
    appts = Appointment.objects.filter(person=who).select_related("program", "department", "track")
    return {
        **{f: getattr(who, f) for f in PersonOut.model_fields},
        "appointments": [
            {
                "kind": a.kind,
                "program": a.program.slug if a.program else None,
                "department": a.department.name if a.department else None,
                "track": a.track.code if a.track else None,
                "title": a.title,
                "start_date": a.start_date,
                "end_date": a.end_date,
                "status": a.status,
            }
            for a in appts
        ],
    }
