"""What the signed-in home page shows, gathered from the apps that know it.

The home page (meded.home.views.home) knows no feature app: each app contributes

- attention providers, ``(viewer, user, today) -> list[Item]``: what needs the user (swap
  requests to approve, coverage holes, leave in conflict with a published schedule, jobs
  that finished or failed, ...), and
- panel providers, ``(viewer, user, today) -> Panel | None``: a section of the page (my
  next shifts, my rotation, who is on call now), drawn by the app's own template.

An app registers them in its AppConfig.ready()::

    from meded.core.attention import register_attention, register_panel

    register_attention(my_items)
    register_panel(my_panel)

so dependencies point one way: the apps import meded.core, never the reverse
(import-linter checks it). Keep every provider to a fixed number of queries however much data
there is (the home page is the most visited page): aggregate, never a query per row.

Items of one ``kind`` from more than MAX_PER_KIND programs are folded into one summary item
(a count and links to the programs with the most), so the GME office sees counts, not
hundreds of cards."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

# Most pressing first: someone waits for the user, or a shift is uncovered; then what is
# wrong but not waiting; then what is simply worth knowing.
URGENT, WARNING, INFO = "urgent", "warning", "info"
SEVERITIES = (URGENT, WARNING, INFO)
MAX_PER_KIND = 3  # more items of one kind than this become one summary item
TOP_LINKS = 5  # programs named in a summary item


@dataclass(frozen=True)
class Item:
    """One thing that needs the user. ``count`` (optional) is how many of it there are;
    ``kind`` names what it is (e.g. "rosters.swaps_pending") so that many programs' items of
    one kind can be folded; ``program`` is the program's name when it concerns one."""

    title: str
    url: str
    area: str
    count: int | None = None
    severity: str = INFO
    kind: str = ""
    program: str = ""
    detail: str = ""
    links: tuple[tuple[str, str], ...] = ()  # (label, url) pairs under the item

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {SEVERITIES}")


@dataclass(frozen=True)
class Panel:
    """A section of the home page: the app's template rendered with ``context``."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100  # lower comes first
    area: str = ""


# A provider gets the request's viewer (meded.org.access.Viewer: the core sits below the
# organization, so it names it Any), the user and the hospital's date.
Viewer = Any
AttentionProvider = Callable[[Viewer, Any, dt.date], list[Item]]
PanelProvider = Callable[[Viewer, Any, dt.date], Panel | None]

ATTENTION: list[AttentionProvider] = []
PANELS: list[PanelProvider] = []


def register_attention(provider: AttentionProvider) -> AttentionProvider:
    """Add an attention provider (usable as a decorator; registering twice is a no-op)."""
    if provider not in ATTENTION:
        ATTENTION.append(provider)
    return provider


def register_panel(provider: PanelProvider) -> PanelProvider:
    """Add a panel provider (usable as a decorator; registering twice is a no-op)."""
    if provider not in PANELS:
        PANELS.append(provider)
    return provider


def fold(items: list[Item], max_per_kind: int = MAX_PER_KIND) -> list[Item]:
    """Items of one kind from more than ``max_per_kind`` programs become one item: the summed
    count and links to the programs with the most."""
    by_kind: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_kind[item.kind].append(item)
    out: list[Item] = []
    for kind, group in by_kind.items():
        if not kind or len(group) <= max_per_kind:
            out.extend(group)
            continue
        group = sorted(group, key=lambda i: (-(i.count or 0), i.program))
        top = group[0]
        total = sum(i.count or 0 for i in group)
        more = len(group) - TOP_LINKS
        out.append(
            replace(
                top,
                count=total or None,
                program="",
                detail=f"in {len(group)} programs"
                + (f"; {more} more not listed" if more > 0 else ""),
                severity=min((i.severity for i in group), key=SEVERITIES.index),
                links=tuple(
                    (f"{i.program} ({i.count})" if i.count else i.program, i.url)
                    for i in group[:TOP_LINKS]
                ),
            )
        )
    return out


def items_for(viewer: Viewer, user: Any, today: dt.date) -> list[Item]:
    """Every provider's items, folded, most pressing first."""
    items: list[Item] = []
    for provider in ATTENTION:
        items.extend(provider(viewer, user, today))
    return sorted(
        fold(items), key=lambda i: (SEVERITIES.index(i.severity), i.area, i.program, i.title)
    )


def panels_for(viewer: Viewer, user: Any, today: dt.date) -> list[Panel]:
    panels = [p for p in (provider(viewer, user, today) for provider in PANELS) if p is not None]
    return sorted(panels, key=lambda p: (p.order, p.title))
