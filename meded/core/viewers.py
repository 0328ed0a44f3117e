"""Who is asking, for the services the organization itself builds on (background jobs, the
audit log). They sit below meded.org in the layers (import-linter), so they cannot import its
access module; it provides the function at start-up instead (meded.org.apps), and they ask
it through ``viewer_of``. Apps above the organization use meded.org.access directly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured


class Viewer(Protocol):
    """The little a service needs to know of a user (meded.org.access.Viewer is one)."""

    @property
    def user_id(self) -> int | None: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_gme_admin(self) -> bool: ...

    @property
    def has_any_role(self) -> bool: ...

    @property
    def managed_program_ids(self) -> frozenset[int]: ...


_provider: Callable[[Any], Viewer] | None = None


def provide(fn: Callable[[Any], Viewer]) -> None:
    global _provider
    _provider = fn


def viewer_of(user: Any) -> Viewer:
    if _provider is None:
        raise ImproperlyConfigured("No viewer provider: is meded.org installed?")
    return _provider(user)
