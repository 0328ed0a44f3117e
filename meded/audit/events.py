"""The typed events of the audit log: every entry names one ("swap.approved",
"schedule.published", ...), so the log can be filtered by what happened, not only by which
table changed.

Each app declares its events once, in its own ``events.py`` (imported by its ``actions.py`` and
by its AppConfig), with ``define``. The audit app knows no app: the registry fills as apps
load, and the audit page lists whatever is defined. Recording an event that was never defined
is a programming error (``UnknownEvent``), so a typo cannot create a new, unfilterable kind.
"""

from __future__ import annotations

from dataclasses import dataclass

VERBS = ("create", "update", "delete", "import", "export")


class UnknownEvent(ValueError):
    """An event name no app defined."""


@dataclass(frozen=True)
class EventType:
    name: str  # "<area>.<what happened>", e.g. "swap.approved"
    label: str  # "Swap approved"
    verb: str  # one of VERBS: the generic action the entry is also filed under

    @property
    def area(self) -> str:
        return self.name.split(".", 1)[0]


_REGISTRY: dict[str, EventType] = {}


def define(name: str, label: str, verb: str) -> str:
    """Declare an event; returns its name, for the app's constant. Defining the same name
    twice with a different meaning is an error (two apps would share one filter)."""
    if "." not in name or name != name.lower() or " " in name:
        raise ValueError(f"An event name is '<area>.<what>' in lower case, not {name!r}.")
    if verb not in VERBS:
        raise ValueError(f"{name}: the verb is one of {', '.join(VERBS)}, not {verb!r}.")
    event = EventType(name, label, verb)
    known = _REGISTRY.setdefault(name, event)
    if known != event:
        raise ValueError(f"The event {name!r} is defined twice, differently.")
    return name


def get(name: str) -> EventType:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownEvent(f"No app defines the audit event {name!r}.") from None


def is_defined(name: str) -> bool:
    return name in _REGISTRY


def label_of(name: str) -> str:
    """The event's label; entries written before events were typed show their stored name."""
    event = _REGISTRY.get(name)
    return event.label if event else name


def all_events() -> list[EventType]:
    return sorted(_REGISTRY.values(), key=lambda e: (e.area, e.name))
