"""The rule document of a schedule year (JSON) and its translation into the engine's rule
dataclasses. Pure: no Django. Every number is configuration, stored on the ScheduleYear.

The document::

    {
      "intern_pgys": [1],                       # PGYs whose role is "intern"; others "senior"
      "vacation_pending_weight": 10,            # cost per pending vacation block not granted
      "wish_weight": 5,                         # cost per block against a timing wish
      "preference_weights": [5, 3, 1],          # reward for the elective ranked 1st, 2nd, ...
      "requirements":      [{"id", "target", "who", "min", "max", "unit", "scope", "weight"}],
      "windows":           [{"id", "who", "target", "first", "last", "min_blocks", "weight"}],
      "templates":         [{"id", "x", "y", "target", "who", "offset", "exclusive"}],
      "max_consecutive":   [{"id", "target", "k", "who", "weight"}],
      "forbidden_adjacent":[{"id", "first", "then", "symmetric", "who", "weight"}],
      "min_spacing":       [{"id", "target", "gap", "who", "weight"}],
      "rest_after":        [{"id", "after", "intensive", "who", "weight"}],
      "fairness":          [{"id", "metric", "weight", "target", "who"}]
    }

A target is {"rotations": [...], "categories": [...], "sites": [...]} (rotation codes); a
"who" is {"pgys": [...], "tracks": [...]} (track codes). "weight": null (or absent) = hard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from meded.engine.blocks.model import (
    EVERYONE,
    Fairness,
    ForbiddenAdjacency,
    MaxConsecutive,
    MinSpacing,
    Requirement,
    ResidentSelector,
    RestAfter,
    Selector,
    Template,
    Unit,
    Window,
    sel,
    who,
)

RULE_KINDS = (
    "requirements",
    "windows",
    "templates",
    "max_consecutive",
    "forbidden_adjacent",
    "min_spacing",
    "rest_after",
    "fairness",
)
TOP_KEYS = {
    "intern_pgys",
    "vacation_pending_weight",
    "wish_weight",
    "preference_weights",
    *RULE_KINDS,
}


class RulesError(ValueError):
    """The rule document does not describe valid rules (the message says where)."""


@dataclass(frozen=True)
class Rules:
    intern_pgys: tuple[int, ...] = (1,)
    vacation_pending_weight: int = 10
    wish_weight: int = 5
    preference_weights: tuple[int, ...] = (5, 3, 1)
    requirements: tuple[Requirement, ...] = ()
    windows: tuple[Window, ...] = ()
    templates: tuple[Template, ...] = ()
    max_consecutive: tuple[MaxConsecutive, ...] = ()
    forbidden_adjacent: tuple[ForbiddenAdjacency, ...] = ()
    min_spacing: tuple[MinSpacing, ...] = ()
    rest_after: tuple[RestAfter, ...] = ()
    fairness: tuple[Fairness, ...] = ()
    descriptions: dict[str, str] = field(default_factory=dict)


def _target(d: Any, where: str) -> Selector:
    if d is None:
        return Selector()
    if not isinstance(d, dict) or set(d) - {"rotations", "categories", "sites"}:
        raise RulesError(f"{where}: a target has rotations, categories and/or sites")
    return sel(
        rotations=[str(x) for x in d.get("rotations", [])],
        categories=[str(x) for x in d.get("categories", [])],
        sites=[str(x) for x in d.get("sites", [])],
    )


def _who(d: Any, where: str) -> ResidentSelector:
    if d is None:
        return EVERYONE
    if not isinstance(d, dict) or set(d) - {"pgys", "tracks"}:
        raise RulesError(f"{where}: 'who' has pgys and/or tracks")
    return who(
        pgys=[int(x) for x in d.get("pgys", [])], tracks=[str(x) for x in d.get("tracks", [])]
    )


def _int(d: dict[str, Any], key: str, where: str, default: int | None = None) -> int:
    value = d.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesError(f"{where}: {key} must be a whole number")
    return value


def _opt_int(d: dict[str, Any], key: str, where: str) -> int | None:
    value = d.get(key)
    if value is None:
        return None
    return _int(d, key, where)


def _rule(kind: str, d: dict[str, Any], where: str) -> Any:
    rid = str(d.get("id") or "")
    if not rid:
        raise RulesError(f"{where}: every rule needs an id")
    weight = _opt_int(d, "weight", where)
    w = _who(d.get("who"), where)
    if kind == "requirements":
        unit = d.get("unit", "blocks")
        scope = d.get("scope", "year")
        if unit not in ("blocks", "stints") or scope not in ("year", "residency"):
            raise RulesError(f"{where}: unit is blocks|stints, scope is year|residency")
        return Requirement(
            rid,
            _target(d.get("target"), where),
            w,
            _int(d, "min", where, 0),
            _opt_int(d, "max", where),
            Unit(unit),
            scope,
            weight,
        )
    if kind == "windows":
        return Window(
            rid,
            w,
            _target(d.get("target"), where),
            _int(d, "first", where),
            _int(d, "last", where),
            _int(d, "min_blocks", where, 1),
            weight,
        )
    if kind == "templates":
        x, y = _int(d, "x", where), _int(d, "y", where)
        if x < 1 or y < 1:
            raise RulesError(f"{where}: x and y must be at least 1")
        return Template(
            rid,
            x,
            y,
            _target(d.get("target"), where),
            w,
            _int(d, "offset", where, 0),
            bool(d.get("exclusive", True)),
        )
    if kind == "max_consecutive":
        return MaxConsecutive(rid, _target(d.get("target"), where), _int(d, "k", where), w, weight)
    if kind == "forbidden_adjacent":
        return ForbiddenAdjacency(
            rid,
            _target(d.get("first"), where),
            _target(d.get("then"), where),
            bool(d.get("symmetric", True)),
            w,
            weight,
        )
    if kind == "min_spacing":
        return MinSpacing(rid, _target(d.get("target"), where), _int(d, "gap", where), w, weight)
    if kind == "rest_after":
        return RestAfter(
            rid, _target(d.get("after"), where), _target(d.get("intensive"), where), w, weight
        )
    metric = d.get("metric", "blocks")
    if metric not in ("blocks", "preference"):
        raise RulesError(f"{where}: metric is blocks or preference")
    return Fairness(rid, metric, _int(d, "weight", where), _target(d.get("target"), where), w)


def parse_rules(doc: Any) -> Rules:
    """The engine rules of a document; RulesError names the first problem."""
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise RulesError("the rules must be a JSON object")
    unknown = set(doc) - TOP_KEYS
    if unknown:
        raise RulesError("unknown rule keys: " + ", ".join(sorted(unknown)))
    out: dict[str, Any] = {}
    descriptions: dict[str, str] = {}
    for kind in RULE_KINDS:
        items = doc.get(kind, [])
        if not isinstance(items, list):
            raise RulesError(f"{kind} must be a list")
        parsed = []
        for i, d in enumerate(items):
            where = f"{kind}[{i}]"
            if not isinstance(d, dict):
                raise RulesError(f"{where}: a rule is an object")
            parsed.append(_rule(kind, d, where))
            if d.get("description"):
                descriptions[str(d["id"])] = str(d["description"])
        ids = [r.id for r in parsed]
        if len(ids) != len(set(ids)):
            raise RulesError(f"{kind}: ids must be unique")
        out[kind] = tuple(parsed)
    weights = doc.get("preference_weights", [5, 3, 1])
    if not isinstance(weights, list) or not all(isinstance(x, int) for x in weights):
        raise RulesError("preference_weights is a list of whole numbers")
    interns = doc.get("intern_pgys", [1])
    if not isinstance(interns, list) or not all(isinstance(x, int) for x in interns):
        raise RulesError("intern_pgys is a list of PGYs")
    return Rules(
        intern_pgys=tuple(interns),
        vacation_pending_weight=_int(doc, "vacation_pending_weight", "rules", 10),
        wish_weight=_int(doc, "wish_weight", "rules", 5),
        preference_weights=tuple(weights),
        descriptions=descriptions,
        **out,
    )
