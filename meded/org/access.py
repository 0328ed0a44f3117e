"""Who may see and do what. One place for every access decision, so views stay thin.

Roles are memberships: InstitutionRole (the GME office sees every program) and ProgramRole
(director, associate director, coordinator, chief resident of one program). Faculty see the
programs they hold a faculty appointment in; a trainee sees their own records; a user with no
role (the outsider) sees nothing but the public pages.

Objects a user may not see answer 404, not 403, so their existence does not leak.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from meded.org.models import Appointment, InstitutionRole, Person, Program, ProgramRole

MANAGER_ROLES = {
    ProgramRole.Role.DIRECTOR,
    ProgramRole.Role.ASSOCIATE_DIRECTOR,
    ProgramRole.Role.COORDINATOR,
}
# Who plans a program's schedules and rosters: its leadership and chief residents.
PLANNER_ROLES = MANAGER_ROLES | {ProgramRole.Role.CHIEF_RESIDENT}


@dataclass(frozen=True)
class Viewer:
    """What one user is, computed once per request."""

    user_id: int | None
    person_id: int | None = None
    is_gme_admin: bool = False
    # program id -> set of ProgramRole.Role values
    program_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    faculty_program_ids: frozenset[int] = frozenset()
    trainee_program_ids: frozenset[int] = frozenset()

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def has_any_role(self) -> bool:
        """Holds a current role or appointment today. A login linked to a person whose every
        appointment and role has ended (a graduate) has none: it sees the public pages only."""
        return bool(
            self.is_gme_admin
            or self.program_roles
            or self.faculty_program_ids
            or self.trainee_program_ids
        )

    @property
    def staff_program_ids(self) -> frozenset[int]:
        """Programs whose internal pages the user may browse."""
        return frozenset(self.program_roles) | self.faculty_program_ids

    @property
    def is_staff(self) -> bool:
        """May browse the organization (programs, people, sites)."""
        return self.is_gme_admin or bool(self.staff_program_ids)

    @property
    def manages_any_program(self) -> bool:
        return any(roles & MANAGER_ROLES for roles in self.program_roles.values())

    @property
    def managed_program_ids(self) -> frozenset[int]:
        """Programs the user leads (director, associates, coordinators)."""
        return frozenset(pid for pid, roles in self.program_roles.items() if roles & MANAGER_ROLES)

    def roles_in(self, program_id: int) -> frozenset[str]:
        return self.program_roles.get(program_id, frozenset())

    def plans(self, program_id: int) -> bool:
        """May edit the program's rotation schedules and rosters (and decide requests)."""
        return self.is_gme_admin or bool(self.roles_in(program_id) & PLANNER_ROLES)

    def reads_plans(self, program_id: int) -> bool:
        """May read the program's published schedules and rosters: its staff and faculty,
        the GME office, and its own current trainees."""
        return (
            self.is_gme_admin
            or program_id in self.staff_program_ids
            or program_id in self.trainee_program_ids
        )

    @property
    def persona(self) -> str:
        """A short label for the header."""
        if self.is_gme_admin:
            return "GME office"
        roles = set().union(*self.program_roles.values()) if self.program_roles else set()
        for role in (
            ProgramRole.Role.DIRECTOR,
            ProgramRole.Role.ASSOCIATE_DIRECTOR,
            ProgramRole.Role.COORDINATOR,
            ProgramRole.Role.CHIEF_RESIDENT,
        ):
            if role in roles:
                return str(role.label)
        if self.faculty_program_ids:
            return "Faculty"
        if self.trainee_program_ids:
            return "Trainee"
        return "No role"


ANONYMOUS = Viewer(user_id=None)


def viewer_for(user: Any) -> Viewer:
    """Who is asking: the user's current roles, worked out once and kept on the user object
    for the rest of the request (or the job), however many access checks ask."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached: Viewer | None = getattr(user, "_meded_viewer", None)
    if cached is not None:
        return cached
    viewer = _work_out(user)
    user._meded_viewer = viewer
    return viewer


def _work_out(user: Any) -> Viewer:
    today = timezone.localdate()
    person = Person.objects.filter(user_id=user.pk).only("id").first()
    is_gme = bool(user.is_superuser)
    program_roles: dict[int, set[str]] = {}
    faculty: set[int] = set()
    trainee: set[int] = set()
    if person is not None:
        is_gme = (
            is_gme
            or InstitutionRole.objects.filter(
                person=person, role=InstitutionRole.Role.GME_ADMIN
            ).exists()
        )
        current = Q(start_date__isnull=True) | Q(start_date__lte=today)
        current &= Q(end_date__isnull=True) | Q(end_date__gte=today)
        for program_id, role in ProgramRole.objects.filter(current, person=person).values_list(
            "program_id", "role"
        ):
            program_roles.setdefault(program_id, set()).add(role)
        for kind, program_id in Appointment.objects.filter(
            _current_appointment(today), person=person, program__isnull=False
        ).values_list("kind", "program_id"):
            if kind == Appointment.Kind.FACULTY:
                faculty.add(program_id)
            elif kind == Appointment.Kind.TRAINEE:
                trainee.add(program_id)
    viewer = Viewer(
        user_id=user.pk,
        person_id=person.pk if person else None,
        is_gme_admin=is_gme,
        program_roles={k: frozenset(v) for k, v in program_roles.items()},
        faculty_program_ids=frozenset(faculty),
        trainee_program_ids=frozenset(trainee),
    )
    return viewer


def _current_appointment(today: dt.date) -> Q:
    return Q(start_date__lte=today) & (Q(end_date__isnull=True) | Q(end_date__gte=today))


def person_is_current(person: Person) -> bool:
    """The person still belongs: their login is active and `viewer_for(user).has_any_role`;
    for a person without a login, the same roles looked up directly (the GME office role, a
    current program role or a current appointment in a program)."""
    if person.user_id is not None:
        user = person.user
        return bool(user and user.is_active and viewer_for(user).has_any_role)
    today = timezone.localdate()
    current = Q(start_date__isnull=True) | Q(start_date__lte=today)
    current &= Q(end_date__isnull=True) | Q(end_date__gte=today)
    return (
        InstitutionRole.objects.filter(person=person, role=InstitutionRole.Role.GME_ADMIN).exists()
        or ProgramRole.objects.filter(current, person=person).exists()
        or Appointment.objects.filter(
            _current_appointment(today), person=person, program__isnull=False
        ).exists()
    )


# --- Programs -------------------------------------------------------------------------------


def visible_programs(user: Any) -> QuerySet[Program]:
    v = viewer_for(user)
    qs = Program.objects.all()
    if v.is_gme_admin:
        return qs
    return qs.filter(pk__in=v.staff_program_ids)


def can_view_program(user: Any, program: Program) -> bool:
    v = viewer_for(user)
    return v.is_gme_admin or program.pk in v.staff_program_ids


def can_manage_program(user: Any, program: Program) -> bool:
    """Import the roster, change people and appointments: director, associates, coordinator."""
    v = viewer_for(user)
    return v.is_gme_admin or bool(v.roles_in(program.pk) & MANAGER_ROLES)


def can_view_program_audit(user: Any, program: Program) -> bool:
    return can_manage_program(user, program)


def get_program_for_view(user: Any, slug: str) -> Program:
    program = Program.objects.select_related("institution", "department").filter(slug=slug).first()
    if program is None or not can_view_program(user, program):
        raise Http404("No such program")
    return program


def get_program_for_manage(user: Any, slug: str) -> Program:
    program = get_program_for_view(user, slug)
    if not can_manage_program(user, program):
        raise PermissionDenied("Only the program's director and coordinators can do this.")
    return program


# --- People ---------------------------------------------------------------------------------


def visible_people(user: Any) -> QuerySet[Person]:
    """GME office: everyone. Program staff and faculty: people appointed in their programs.
    Anyone else: themselves."""
    v = viewer_for(user)
    qs = Person.objects.all()
    if v.is_gme_admin:
        return qs
    if not v.is_authenticated:
        return qs.none()
    own = Q(pk=v.person_id) if v.person_id else Q(pk__in=[])
    if v.staff_program_ids:
        in_programs = Person.objects.filter(
            appointments__program_id__in=v.staff_program_ids
        ).values("pk")
        return qs.filter(own | Q(pk__in=in_programs))
    return qs.filter(own)


def can_view_person(user: Any, person: Person) -> bool:
    return visible_people(user).filter(pk=person.pk).exists()


def get_person_for_view(user: Any, pk: int) -> Person:
    person = visible_people(user).filter(pk=pk).first()
    if person is None:
        raise Http404("No such person")
    return person


def can_see_leave_reasons(user: Any, appointment: Appointment) -> bool:
    """A leave's kind (medical, parental, ...) and note are for the trainee, the program's
    director, associate directors and coordinators, and the GME office. Faculty and chief
    residents see that a person is away, not why."""
    v = viewer_for(user)
    if v.person_id is not None and v.person_id == appointment.person_id:
        return True
    return appointment.program_id is not None and (
        v.is_gme_admin or bool(v.roles_in(appointment.program_id) & MANAGER_ROLES)
    )


def require_any_role(user: Any) -> Viewer:
    """Internal pages: a signed-in user with no role at all is refused."""
    v = viewer_for(user)
    if not v.has_any_role:
        raise PermissionDenied("Your account has no role in any program.")
    return v


def require_gme_admin(user: Any) -> Viewer:
    v = viewer_for(user)
    if not v.is_gme_admin:
        raise PermissionDenied("Only the GME office can see this.")
    return v


def require_staff(user: Any) -> Viewer:
    """Organization browse pages: the GME office, program leadership and faculty."""
    v = viewer_for(user)
    if not v.is_staff:
        raise PermissionDenied("Only program staff and the GME office can browse the organization.")
    return v


def get_trainee_appointment_for_manage(user: Any, pk: int) -> Appointment:
    """A trainee appointment the user may edit: 404 when they cannot see its program, 403 when
    they can see it but not change it (chief residents, faculty)."""
    appt = (
        Appointment.objects.select_related("person", "program", "track")
        .filter(pk=pk, kind=Appointment.Kind.TRAINEE)
        .first()
    )
    if appt is None or appt.program is None or not can_view_program(user, appt.program):
        raise Http404("No such appointment")
    if not can_manage_program(user, appt.program):
        raise PermissionDenied("Only the program's director and coordinators can edit trainees.")
    return appt
