"""Who may see and reset a person's calendar subscription link: the person themselves, and
the managers (director, associate directors, coordinators) of a program the person has an
appointment in, and the GME office. Everyone else gets 404. The feed itself needs no sign-in:
holding the secret token is the permission."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from meded.org.access import MANAGER_ROLES, viewer_for
from meded.org.models import Appointment, Person


def can_manage_feed(user: Any, person: Person) -> bool:
    v = viewer_for(user)
    if not v.is_authenticated:
        return False
    if v.person_id == person.pk or v.is_gme_admin:
        return True
    managed = {pid for pid, roles in v.program_roles.items() if roles & MANAGER_ROLES}
    if not managed:
        return False
    return Appointment.objects.filter(person=person, program_id__in=managed).exists()


def is_self(user: Any, person: Person) -> bool:
    return viewer_for(user).person_id == person.pk


def get_person_for_feed(user: Any, pk: int) -> Person:
    person = Person.objects.filter(pk=pk).first()
    if person is None or not can_manage_feed(user, person):
        raise Http404("No such person")
    return person


def own_person(user: Any) -> Person:
    """The signed-in user's own person record (404 for a login without one)."""
    person_id = viewer_for(user).person_id
    person = Person.objects.filter(pk=person_id).first() if person_id else None
    if person is None:
        raise Http404("Your account is not linked to a person")
    return person
