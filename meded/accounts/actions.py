"""Writes of sign-in: linking a person to the login they sign in with through single sign-on.
Atomic and audited like every action (meded.audit.log.record)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from meded.accounts.events import SSO_LINKED
from meded.audit import log as audit
from meded.core.locking import lock
from meded.org.models import Person
from meded.org.queries import program_of


class SignInRefused(Exception):
    """The identity matches a person, but that person may not sign in."""


USERNAME_MAX = 150


def _free_username(claims: Mapping[str, Any], person: Person) -> str:
    """A username for a new login: the provider's preferred_username, else the e-mail's local
    part, else the person's name; made unique with a number."""
    candidates = [
        str(claims.get("preferred_username") or ""),
        (person.email or str(claims.get("email") or "")).split("@")[0],
        f"{person.first_name}.{person.last_name}",
    ]
    base = ""
    for c in candidates:
        base = re.sub(r"[^\w.@+-]", "", c.strip().lower())[: USERNAME_MAX - 6]
        if base:
            break
    base = base or f"person-{person.pk}"
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


@transaction.atomic
def do_link_sso_login(person: Person, claims: Mapping[str, Any], *, matched_by: str) -> User:
    """The login the person signs in with through single sign-on: their linked one, or a new
    login (no usable password: it signs in only through the identity provider) linked to them
    the first time. Refused when the linked login is deactivated."""
    person = lock(Person, person.pk, "user")
    user = person.user
    if user is not None:
        if not user.is_active:
            raise SignInRefused(
                "Your meded login is deactivated. Ask the GME office if you need it again."
            )
        return user
    email = person.email or str(claims.get("email") or "")
    user = User(
        username=_free_username(claims, person),
        email=email,
        first_name=(person.preferred_name or person.first_name)[:150],
        last_name=person.last_name[:150],
    )
    user.set_unusable_password()
    user.save()
    person.user = user
    person.save(update_fields=["user", "updated_at"])
    audit.record(
        user,
        SSO_LINKED,
        person,
        program=program_of(person),
        changes={"user": [None, user.username]},
        note=f"First single sign-on: login {user.username} created and linked (matched by "
        f"{matched_by}).",
    )
    return user
