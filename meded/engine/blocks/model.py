"""The problem model of an annual block (rotation) schedule: frozen dataclasses, no solver.

Every number is configuration: nothing here knows Internal Medicine's requirements. A rule
whose ``weight`` is ``None`` is hard; a rule with an integer weight is soft and costs
``weight`` per unit of violation in the objective.

A schedule is ``dict[resident_id, dict[block, rotation_id]]``; blocks are 0-based and a
missing block means the resident is off (leave, or idle where ``full_assignment`` is False).
A rotation of ``length`` L occupies L contiguous blocks per *stint*.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

Schedule = dict[str, dict[int, str]]


class Category(StrEnum):
    WARDS = "wards"
    ICU = "icu"
    ED = "ed"
    CONSULT = "consult"
    AMBULATORY = "ambulatory"  # ACR, the "+Y" of an X+Y template
    AMBULATORY_SUBSPECIALTY = "ambulatory_subspecialty"  # ASE
    NIGHT_FLOAT = "night_float"
    ELECTIVE = "elective"
    RESEARCH = "research"
    AWAY = "away"
    VACATION = "vacation"


@dataclass(frozen=True)
class Calendar:
    """The academic year as ``n_blocks`` blocks of ``block_days`` days from ``start``."""

    n_blocks: int
    block_days: int = 14
    start: dt.date = dt.date(2026, 7, 1)

    def block_start(self, block: int) -> dt.date:
        return self.start + dt.timedelta(days=self.block_days * block)


@dataclass(frozen=True)
class Selector:
    """Picks rotations (or residents, see ``ResidentSelector``). Given criteria are ANDed;
    an empty selector matches everything."""

    rotations: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    disciplines: frozenset[str] = frozenset()
    sites: frozenset[str] = frozenset()

    def matches(self, rot: Rotation) -> bool:
        return (
            (not self.rotations or rot.id in self.rotations)
            and (not self.categories or rot.category in self.categories)
            and (not self.disciplines or rot.discipline in self.disciplines)
            and (not self.sites or rot.site in self.sites)
        )

    def describe(self) -> str:
        parts = [
            "/".join(sorted(s))
            for s in (self.rotations, self.categories, self.disciplines, self.sites)
            if s
        ]
        return " ".join(parts) or "any rotation"


def sel(
    rotations: Iterable[str] = (),
    categories: Iterable[str] = (),
    disciplines: Iterable[str] = (),
    sites: Iterable[str] = (),
) -> Selector:
    return Selector(
        frozenset(rotations), frozenset(categories), frozenset(disciplines), frozenset(sites)
    )


@dataclass(frozen=True)
class ResidentSelector:
    """Picks residents by PGY, track, cohort or id (criteria ANDed; empty = everyone)."""

    pgys: frozenset[int] = frozenset()
    tracks: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()

    def matches(self, res: Resident) -> bool:
        return (
            (not self.pgys or res.pgy in self.pgys)
            and (not self.tracks or res.track in self.tracks)
            and (not self.ids or res.id in self.ids)
        )

    def describe(self) -> str:
        parts = []
        if self.pgys:
            parts.append("PGY" + "/".join(str(p) for p in sorted(self.pgys)))
        if self.tracks:
            parts.append("/".join(sorted(self.tracks)))
        if self.ids:
            parts.append(",".join(sorted(self.ids)))
        return " ".join(parts) or "every resident"


def who(
    pgys: Iterable[int] = (), tracks: Iterable[str] = (), ids: Iterable[str] = ()
) -> ResidentSelector:
    return ResidentSelector(frozenset(pgys), frozenset(tracks), frozenset(ids))


EVERYONE = ResidentSelector()


@dataclass(frozen=True)
class Resident:
    id: str
    pgy: int
    track: str = "categorical"
    cohort: int | None = None  # X+Y cohort, 0-based
    history: tuple[tuple[str, int], ...] = ()  # (rotation id, blocks done in earlier years)
    pins: tuple[tuple[int, str], ...] = ()  # (block, rotation id): fixed assignments
    unavailable: frozenset[int] = frozenset()  # leave / off-service blocks: assigned nothing
    ineligible: frozenset[str] = frozenset()  # rotation ids this person may not do

    def history_blocks(self, rot_ids: Iterable[str]) -> int:
        wanted = set(rot_ids)
        return sum(n for rid, n in self.history if rid in wanted)


@dataclass(frozen=True)
class CoverageRule:
    """Staffing of one rotation: between ``min`` and ``max`` residents (of ``role`` if given)
    in each block of ``blocks`` (all blocks if empty). ``weight`` None = hard; else each
    missing resident below ``min`` costs ``weight`` (``max`` stays hard)."""

    min: int = 0
    max: int | None = None
    role: str | None = None
    blocks: frozenset[int] = frozenset()
    weight: int | None = None


@dataclass(frozen=True)
class Rotation:
    id: str
    name: str
    category: str
    site: str = ""
    discipline: str = ""  # the experience it teaches; defaults to id
    length: int = 1  # blocks per stint (a 4-week rotation on a 2-week grid: 2)
    pgys: frozenset[int] = frozenset()  # eligible PGYs (empty = all)
    tracks: frozenset[str] = frozenset()  # eligible tracks (empty = all)
    coverage: tuple[CoverageRule, ...] = ()
    allowed_blocks: frozenset[int] = frozenset()  # blocks it may occupy (empty = all)
    aligned: bool = False  # stints start only at multiples of length

    def __post_init__(self) -> None:
        if not self.discipline:
            object.__setattr__(self, "discipline", self.id)


class Unit(StrEnum):
    BLOCKS = "blocks"
    STINTS = "stints"


@dataclass(frozen=True)
class Requirement:
    """Residents in ``who`` must have between ``min`` and ``max`` units of ``target``:
    over this year (``scope='year'``) or over residency including history
    (``scope='residency'``)."""

    id: str
    target: Selector
    who: ResidentSelector = EVERYONE
    min: int = 0
    max: int | None = None
    unit: Unit = Unit.BLOCKS
    scope: str = "year"
    weight: int | None = None


@dataclass(frozen=True)
class Window:
    """Pathway rule: residents ``who`` must have at least ``min_blocks`` of ``target`` within
    blocks [first, last] (e.g. an early elective for a physician-scientist intern)."""

    id: str
    who: ResidentSelector
    target: Selector
    first: int
    last: int
    min_blocks: int = 1
    weight: int | None = None


@dataclass(frozen=True)
class Template:
    """X+Y: residents with a cohort spend Y blocks on ``target`` every X+Y blocks; cohort c's
    ambulatory blocks are b with (b - c*y - offset) mod (x+y) < y. Outside them they may not
    be on ``target`` (``exclusive``)."""

    id: str
    x: int
    y: int
    target: Selector
    who: ResidentSelector = EVERYONE
    offset: int = 0
    exclusive: bool = True

    def is_plus_block(self, cohort: int, block: int) -> bool:
        return (block - cohort * self.y - self.offset) % (self.x + self.y) < self.y


@dataclass(frozen=True)
class Prerequisite:
    """Before a stint of ``target`` starts, ``who`` must have finished a stint of ``before``
    (earlier this year or in history)."""

    id: str
    target: Selector
    before: Selector
    who: ResidentSelector = EVERYONE
    weight: int | None = None


@dataclass(frozen=True)
class MaxConsecutive:
    """No more than ``k`` consecutive blocks of ``target`` (e.g. intensive categories)."""

    id: str
    target: Selector
    k: int
    who: ResidentSelector = EVERYONE
    weight: int | None = None


@dataclass(frozen=True)
class ForbiddenAdjacency:
    """A block of ``first`` may not be followed by a block of ``then`` (and, if
    ``symmetric``, not preceded either)."""

    id: str
    first: Selector
    then: Selector
    symmetric: bool = True
    who: ResidentSelector = EVERYONE
    weight: int | None = None


@dataclass(frozen=True)
class MinSpacing:
    """Between two stints of the same rotation of ``target``, at least ``gap`` other blocks."""

    id: str
    target: Selector
    gap: int
    who: ResidentSelector = EVERYONE
    weight: int | None = None


@dataclass(frozen=True)
class RestAfter:
    """After a run of ``after`` (nights), the next block may not be in ``intensive``."""

    id: str
    after: Selector
    intensive: Selector
    who: ResidentSelector = EVERYONE
    weight: int | None = None


@dataclass(frozen=True)
class VacationRequest:
    """``resident`` asks for ``target`` (a vacation rotation) in ``blocks``. Approved = hard;
    otherwise each block not granted costs ``weight``."""

    id: str
    resident: str
    blocks: frozenset[int]
    approved: bool = False
    weight: int = 10
    target: Selector = Selector(categories=frozenset({Category.VACATION.value}))


@dataclass(frozen=True)
class Preference:
    """A reward of ``weight`` per stint of ``target`` for ``resident`` (ranked electives map
    ranks to weights; MSS preferences are per (discipline, hospital))."""

    resident: str
    target: Selector
    weight: int
    rule: str = "preference"


@dataclass(frozen=True)
class Wish:
    """ "Not before/after block b": each block of ``target`` before ``not_before`` or after
    ``not_after`` costs ``weight``."""

    id: str
    resident: str
    target: Selector
    not_before: int | None = None
    not_after: int | None = None
    weight: int = 5


@dataclass(frozen=True)
class Fairness:
    """Spread (max - min) of ``metric`` among residents of the same PGY in ``who``, costing
    ``weight`` per unit. metric: 'blocks' of ``target``, or 'preference' (total reward)."""

    id: str
    metric: str
    weight: int
    target: Selector = Selector()
    who: ResidentSelector = EVERYONE
    # (pgy, lowest, highest) metric values of residents outside this (sub-)problem
    outside: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True)
class Equity:
    """Reward ``weight`` x the worst-off resident's score (score = minus that resident's named
    costs, so preferences count as positive)."""

    id: str
    weight: int = 1
    who: ResidentSelector = EVERYONE
    cap: int | None = None  # the worst score of residents outside this (sub-)problem


@dataclass(frozen=True)
class SiteChange:
    """Each change of site between consecutive stints (idle gaps ignored) costs ``weight``."""

    resident: str
    weight: int


@dataclass(frozen=True)
class Waiting:
    """Each idle block before the resident's last occupied block costs ``weight``."""

    resident: str
    weight: int


@dataclass(frozen=True)
class Problem:
    calendar: Calendar
    residents: tuple[Resident, ...]
    rotations: tuple[Rotation, ...]
    roles: tuple[tuple[int, str], ...] = ((1, "intern"),)  # PGY -> role; others "senior"
    full_assignment: bool = True  # every available block gets a rotation
    requirements: tuple[Requirement, ...] = ()
    windows: tuple[Window, ...] = ()
    templates: tuple[Template, ...] = ()
    prerequisites: tuple[Prerequisite, ...] = ()
    max_consecutive: tuple[MaxConsecutive, ...] = ()
    forbidden_adjacent: tuple[ForbiddenAdjacency, ...] = ()
    min_spacing: tuple[MinSpacing, ...] = ()
    rest_after: tuple[RestAfter, ...] = ()
    vacation_requests: tuple[VacationRequest, ...] = ()
    preferences: tuple[Preference, ...] = ()
    wishes: tuple[Wish, ...] = ()
    fairness: tuple[Fairness, ...] = ()
    equity: tuple[Equity, ...] = ()
    site_changes: tuple[SiteChange, ...] = ()
    waiting: tuple[Waiting, ...] = ()
    name: str = "program"
    _cache: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def blocks(self) -> range:
        return range(self.calendar.n_blocks)

    def role(self, res: Resident) -> str:
        return dict(self.roles).get(res.pgy, "senior")

    def rotation(self, rot_id: str) -> Rotation:
        return self.rotation_map()[rot_id]

    def rotation_map(self) -> Mapping[str, Rotation]:
        cached = self._cache.get("rotmap")
        if cached is None:
            cached = {r.id: r for r in self.rotations}
            self._cache["rotmap"] = cached
        return cached  # type: ignore[return-value]

    def resident(self, res_id: str) -> Resident:
        return next(r for r in self.residents if r.id == res_id)

    def select(self, target: Selector) -> list[Rotation]:
        # rule builders ask for the same selectors thousands of times on large programs
        cache = self._cache.setdefault("select", {})
        assert isinstance(cache, dict)
        found = cache.get(target)
        if found is None:
            found = [r for r in self.rotations if target.matches(r)]
            cache[target] = found
        return list(found)

    def eligible(self, res: Resident, rot: Rotation) -> bool:
        return (
            (not rot.pgys or res.pgy in rot.pgys)
            and (not rot.tracks or res.track in rot.tracks)
            and rot.id not in res.ineligible
        )

    def can_start(self, res: Resident, rot: Rotation, block: int) -> bool:
        """Whether a stint of ``rot`` for ``res`` may start at ``block`` (structure only:
        eligibility, availability, allowed blocks, alignment, horizon)."""
        if block + rot.length > self.calendar.n_blocks:
            return False
        if rot.aligned and block % rot.length:
            return False
        for b in range(block, block + rot.length):
            if b in res.unavailable:
                return False
            if rot.allowed_blocks and b not in rot.allowed_blocks:
                return False
        return True
