"""What the public pages say, computed from live data: the sponsoring institution's "facts at
a glance" and a public program's tracks and continuity practice sites.

No personal data leaves this module: counts, programs, tracks and sites only. Every number is
one aggregate query (conditional COUNTs), never a loop over programs or people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from meded.org.models import AcademicYear, Appointment, Institution, Program, Site, Track

# An appointment counts as held while it runs and the person has not completed or withdrawn.
HELD_STATUSES = (
    Appointment.Status.ACTIVE,
    Appointment.Status.LEAVE,
    Appointment.Status.EXTENDED,
)


def current(today: dt.date, prefix: str = "") -> Q:
    """Appointments held on `today` (prefix: the path to the appointment, e.g.
    "appointments__")."""
    return Q(
        **{
            f"{prefix}start_date__lte": today,
            f"{prefix}status__in": HELD_STATUSES,
        }
    ) & (Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": today}))


def overlapping(start: dt.date, end: dt.date) -> Q:
    """Appointments that run for at least one day between start and end."""
    return Q(start_date__lte=end) & (Q(end_date__isnull=True) | Q(end_date__gte=start))


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str
    count: int
    percent: int  # of the largest bar, for the picture


@dataclass(frozen=True)
class InstitutionFacts:
    name: str
    short_name: str
    slug: str
    kind: str
    kind_label: str
    city: str
    is_sponsor: bool
    programs: int


@dataclass(frozen=True)
class Facts:
    today: dt.date
    academic_year: str
    sponsor: str | None
    sponsor_short_name: str | None
    residency_programs: int
    fellowship_programs: int
    physician_trainees: int
    students_on_rotation: int
    clinical_staff_requiring_cme: int
    network_programs: int
    network_trainees: int
    institutions: list[InstitutionFacts] = field(default_factory=list)
    programs_by_kind: list[KindCount] = field(default_factory=list)


def academic_year_bounds(today: dt.date) -> tuple[str, dt.date, dt.date]:
    """The academic year containing today: its row when there is one, else July-June."""
    year = AcademicYear.containing(today)
    if year is not None:
        return year.name, year.start_date, year.end_date
    start, end = AcademicYear.bounds_for(today)
    return f"{start.year}-{end.year}", start, end


def facts_at_a_glance(today: dt.date | None = None) -> Facts:
    today = today or timezone.localdate()
    year_name, year_start, year_end = academic_year_bounds(today)
    sponsor = Institution.objects.filter(is_sponsor=True).order_by("pk").first()
    sponsor_id = sponsor.pk if sponsor else None
    at_sponsor = Q(institution_id=sponsor_id)

    programs = Program.objects.aggregate(
        residency=Count("pk", filter=at_sponsor & Q(kind=Program.Kind.RESIDENCY)),
        fellowship=Count("pk", filter=at_sponsor & Q(kind=Program.Kind.FELLOWSHIP)),
        network=Count("pk"),
    )
    trainee = Q(kind=Appointment.Kind.TRAINEE) & current(today)
    people = Appointment.objects.aggregate(
        trainees=Count("person", distinct=True, filter=trainee & at_sponsor),
        network_trainees=Count("person", distinct=True, filter=trainee),
        students=Count(
            "person",
            distinct=True,
            filter=at_sponsor
            & Q(kind=Appointment.Kind.STUDENT)
            & overlapping(year_start, year_end)
            & ~Q(status=Appointment.Status.WITHDRAWN),
        ),
        cme=Count(
            "person",
            distinct=True,
            filter=at_sponsor & Q(person__requires_cme=True) & current(today),
        ),
    )
    by_kind = dict(
        Program.objects.filter(at_sponsor)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    largest = max(by_kind.values(), default=0)
    kinds = [
        KindCount(
            kind=str(kind),
            label=str(label),
            count=by_kind.get(kind, 0),
            percent=round(100 * by_kind.get(kind, 0) / largest) if largest else 0,
        )
        for kind, label in Program.Kind.choices
        if by_kind.get(kind)
    ]
    institutions = [
        InstitutionFacts(
            name=i.name,
            short_name=i.short_name,
            slug=i.slug,
            kind=i.kind,
            kind_label=i.get_kind_display(),
            city=i.city,
            is_sponsor=i.is_sponsor,
            programs=i.n_programs,
        )
        for i in Institution.objects.annotate(n_programs=Count("programs")).order_by(
            "-is_sponsor", "name"
        )
    ]
    return Facts(
        today=today,
        academic_year=year_name,
        sponsor=sponsor.name if sponsor else None,
        sponsor_short_name=(sponsor.short_name or sponsor.name) if sponsor else None,
        residency_programs=programs["residency"],
        fellowship_programs=programs["fellowship"],
        physician_trainees=people["trainees"],
        students_on_rotation=people["students"],
        clinical_staff_requiring_cme=people["cme"],
        network_programs=programs["network"],
        network_trainees=people["network_trainees"],
        institutions=institutions,
        programs_by_kind=kinds,
    )


# --- Public program pages ----------------------------------------------------------------


def public_programs() -> QuerySet[Program]:
    return Program.objects.filter(is_public=True).select_related("institution")


def tracks_label(names: list[str]) -> str:
    """["Primary Care", "Categorical"] -> "Primary Care and Categorical Tracks"."""
    if not names:
        return ""
    if len(names) == 1:
        return f"{names[0]} Track"
    return f"{', '.join(names[:-1])} and {names[-1]} Tracks"


@dataclass(frozen=True)
class TrackInfo:
    name: str
    code: str
    description: str
    clinical_years: int
    is_preliminary: bool
    current_residents: int


@dataclass(frozen=True)
class SiteInfo:
    name: str
    short_name: str
    code: str
    address: str
    description: str
    tracks: list[str]
    tracks_label: str
    residents_placed_label: str
    current_residents: int


@dataclass(frozen=True)
class ProgramPage:
    program: Program
    current_residents: int
    tracks: list[TrackInfo]
    sites: list[SiteInfo]

    @property
    def residents_at_sites(self) -> int:
        return sum(s.current_residents for s in self.sites)


def program_page(program: Program, today: dt.date | None = None) -> ProgramPage:
    """Tracks and continuity practice sites of one program, with live resident counts.
    Three queries: tracks, sites (with their tracks prefetched), the program total."""
    today = today or timezone.localdate()
    resident = Q(appointments__kind=Appointment.Kind.TRAINEE) & current(today, "appointments__")
    tracks = [
        TrackInfo(
            name=t.name,
            code=t.code,
            description=t.description,
            clinical_years=t.clinical_years,
            is_preliminary=t.is_preliminary,
            current_residents=t.n_current,
        )
        for t in Track.objects.filter(program=program).annotate(
            n_current=Count("appointments", filter=resident)
        )
    ]
    # A site belongs on the page when it offers one of the program's tracks or hosts one of
    # its current residents. Subqueries keep the count below free of join fan-out.
    offers_track = Site.tracks.through.objects.filter(track__program=program).values("site_id")
    hosts_resident = Appointment.objects.filter(
        current(today), program=program, kind=Appointment.Kind.TRAINEE
    ).values("continuity_site_id")
    sites_qs = (
        Site.objects.filter(Q(pk__in=offers_track) | Q(pk__in=hosts_resident))
        .annotate(
            n_current=Count("appointments", filter=resident & Q(appointments__program=program))
        )
        .prefetch_related(
            Prefetch("tracks", queryset=Track.objects.filter(program=program), to_attr="ours")
        )
        .order_by("sort_order", "name")
    )
    sites = []
    for s in sites_qs:
        names = [t.name for t in s.ours]
        sites.append(
            SiteInfo(
                name=s.name,
                short_name=s.short_name,
                code=s.code,
                address=s.address,
                description=s.description,
                tracks=names,
                tracks_label=tracks_label(names),
                residents_placed_label=s.residents_placed_label,
                current_residents=s.n_current,
            )
        )
    total = Appointment.objects.filter(
        current(today), program=program, kind=Appointment.Kind.TRAINEE
    ).aggregate(n=Count("person", distinct=True))["n"]
    return ProgramPage(program=program, current_residents=total, tracks=tracks, sites=sites)
