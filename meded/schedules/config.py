"""Checking a schedule year's configuration: its calendar, the program's rotations and the
rules document. The set-up forms, the actions and the API all ask these functions, so each
says the same thing about the same mistake, naming the field (or the path in the rules).

A rules document must parse with meded.schedules.rules.parse_rules; this module adds what the
parser lets through: unknown keys (a typo would silently do nothing), values of the wrong type,
numbers out of range, and references to rotations, categories, sites and tracks the program
does not have."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, TypeGuard

from meded.org.models import Program, Track
from meded.schedules.models import (
    CATEGORY_CHOICES,
    COVERAGE_ROLES,
    Assignment,
    Rotation,
    ScheduleVersion,
    ScheduleYear,
    coverage_problem,
)
from meded.schedules.rules import RULE_KINDS, RulesError, parse_rules

MAX_BLOCKS = 60
MAX_CALENDAR_DAYS = 371  # 53 weeks
MAX_SOLVE_SECONDS = 600
CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
CATEGORIES = [c for c, _ in CATEGORY_CHOICES]
YEAR_FIELDS = (
    "n_blocks",
    "block_days",
    "start_date",
    "requests_open",
    "requests_close",
    "solve_seconds",
)
ROTATION_FIELDS = (
    "code",
    "name",
    "category",
    "site",
    "length",
    "pgys",
    "tracks",
    "coverage",
    "sort_order",
)

KIND_LABELS = {
    "requirements": "Requirements",
    "windows": "Pathway windows",
    "templates": "X+Y templates",
    "max_consecutive": "Maximum consecutive blocks",
    "forbidden_adjacent": "Forbidden adjacency",
    "min_spacing": "Minimum spacing",
    "rest_after": "Rest after",
    "fairness": "Fairness",
}
KIND_SINGULAR = {
    "requirements": "requirement",
    "windows": "pathway window",
    "templates": "X+Y template",
    "max_consecutive": "maximum-consecutive rule",
    "forbidden_adjacent": "forbidden adjacency",
    "min_spacing": "minimum spacing",
    "rest_after": "rest-after rule",
    "fairness": "fairness goal",
}
# The rotation selectors of each kind of rule, and every key a rule of that kind may have.
SELECTORS = {
    "requirements": ("target",),
    "windows": ("target",),
    "templates": ("target",),
    "max_consecutive": ("target",),
    "forbidden_adjacent": ("first", "then"),
    "min_spacing": ("target",),
    "rest_after": ("after", "intensive"),
    "fairness": ("target",),
}
RULE_KEYS = {
    "requirements": {"min", "max", "unit", "scope", "weight"},
    "windows": {"first", "last", "min_blocks", "weight"},
    "templates": {"x", "y", "offset", "exclusive"},
    "max_consecutive": {"k", "weight"},
    "forbidden_adjacent": {"symmetric", "weight"},
    "min_spacing": {"gap", "weight"},
    "rest_after": {"weight"},
    "fairness": {"metric", "weight"},
}
COMMON_KEYS = {"id", "description", "who"}
TOP_NUMBERS = ("intern_pgys", "vacation_pending_weight", "wish_weight", "preference_weights")


class ConfigError(ValueError):
    """Configuration that cannot be saved: ``errors`` maps each field (or rules path) to what
    is wrong with it, in words for the user."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in errors.items()))


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


# --- The calendar ---------------------------------------------------------------------------


def year_errors(sy: ScheduleYear, data: dict[str, Any]) -> dict[str, str]:
    """What is wrong with new calendar settings of a schedule year ({} if nothing)."""
    errors: dict[str, str] = {}
    n, days = data.get("n_blocks"), data.get("block_days")
    if not is_int(n) or not 1 <= n <= MAX_BLOCKS:
        errors["n_blocks"] = f"The number of blocks is from 1 to {MAX_BLOCKS}."
    if not is_int(days) or not 1 <= days <= 366:
        errors["block_days"] = "A block lasts from 1 to 366 days."
    if is_int(n) and is_int(days) and not errors and n * days > MAX_CALENDAR_DAYS:
        errors["n_blocks"] = (
            f"{n} blocks of {days} days make {n * days} days, more than a year "
            f"({MAX_CALENDAR_DAYS} days at most)."
        )
    start = data.get("start_date")
    ay = sy.academic_year
    if not isinstance(start, dt.date):
        errors["start_date"] = "The first day of block 1 is a date."
    elif not ay.start_date <= start <= ay.end_date:
        errors["start_date"] = (
            f"Block 1 starts within the academic year {ay} "
            f"({ay.start_date:%Y-%m-%d} to {ay.end_date:%Y-%m-%d})."
        )
    opens, closes = data.get("requests_open"), data.get("requests_close")
    if (opens is None) != (closes is None):
        errors["requests_close" if closes is None else "requests_open"] = (
            "Give both the day requests open and the day they close, or neither."
        )
    elif opens is not None and closes is not None and closes < opens:
        errors["requests_close"] = "The request window closes before it opens."
    seconds = data.get("solve_seconds")
    if not is_int(seconds) or not 1 <= seconds <= MAX_SOLVE_SECONDS:
        errors["solve_seconds"] = f"The solver's time is from 1 to {MAX_SOLVE_SECONDS} seconds."
    if "n_blocks" not in errors and is_int(n):
        too_long = Rotation.objects.filter(program_id=sy.program_id, length__gt=n).order_by("code")
        if codes := [r.code for r in too_long]:
            errors["n_blocks"] = (
                f"Rotations last longer than {n} blocks: {', '.join(codes)}. Shorten them first."
            )
        published = Assignment.objects.filter(
            version__schedule_year=sy,
            version__status=ScheduleVersion.Status.PUBLISHED,
            block__gte=n,
        )
        if "n_blocks" not in errors and published.exists():
            errors["n_blocks"] = (
                f"The published version has assignments after block {n}; "
                "publish a version that fits first."
            )
    return errors


# --- Rotations ------------------------------------------------------------------------------


def track_codes(program: Program) -> list[str]:
    return list(Track.objects.filter(program=program).values_list("code", flat=True))


def pgy_range(program: Program) -> range:
    return range(program.min_pgy, program.max_pgy + 1)


def rotation_errors(
    sy: ScheduleYear, data: dict[str, Any], instance: Rotation | None = None
) -> dict[str, str]:
    """What is wrong with a rotation's values ({} if nothing). Rotations belong to the
    program; the schedule year gives the number of blocks a stint may last."""
    program = sy.program
    errors: dict[str, str] = {}
    code = data.get("code")
    if not isinstance(code, str) or not code or len(code) > 40 or not CODE_RE.match(code):
        errors["code"] = "A code of up to 40 letters, digits, hyphens and underscores."
    else:
        taken = Rotation.objects.filter(program=program, code=code)
        if instance is not None and instance.pk:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            errors["code"] = f"The program already has a rotation {code!r}."
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        errors["name"] = "A name of up to 120 characters."
    if data.get("category") not in CATEGORIES:
        errors["category"] = "One of: " + ", ".join(CATEGORIES) + "."
    site = data.get("site", "")
    if not isinstance(site, str) or len(site) > 120:
        errors["site"] = "A site of up to 120 characters."
    length = data.get("length")
    if not is_int(length) or not 1 <= length <= sy.n_blocks:
        errors["length"] = f"A stint lasts from 1 to {sy.n_blocks} blocks (this year's blocks)."
    pgys = data.get("pgys", [])
    allowed = pgy_range(program)
    if not isinstance(pgys, list) or not all(is_int(p) and p in allowed for p in pgys):
        errors["pgys"] = (
            f"PGYs of this program are {program.min_pgy} to {program.max_pgy} "
            "(none chosen: every PGY)."
        )
    tracks = data.get("tracks", [])
    known = track_codes(program)
    if not isinstance(tracks, list) or not all(isinstance(t, str) for t in tracks):
        errors["tracks"] = "A list of track codes."
    elif unknown := [t for t in tracks if t not in known]:
        errors["tracks"] = (
            "Not a track of this program: " + ", ".join(unknown) + f" (tracks: {', '.join(known)})."
        )
    if problem := coverage_problem(data.get("coverage", [])):
        errors["coverage"] = problem
    order = data.get("sort_order", 0)
    if not is_int(order) or not 0 <= order <= 32767:
        errors["sort_order"] = "A whole number from 0 to 32767."
    return errors


def coverage_summary(coverage: list[dict[str, Any]]) -> str:
    """ "interns 1-3 · seniors 1+" for a rotation's coverage rows."""
    parts = []
    names = {"intern": "interns", "senior": "seniors", "any": "anyone"}
    for role in COVERAGE_ROLES:
        for c in coverage:
            if c.get("role", "any") != role:
                continue
            lo, hi = c.get("min", 0), c.get("max")
            span = f"{lo}+" if hi is None else (f"{lo}" if hi == lo else f"{lo}-{hi}")
            parts.append(f"{names[role]} {span}")
    return " · ".join(parts) or "no limits"


def rules_using_rotation(program: Program, code: str) -> list[str]:
    """ "2025-2026 requirements/once_el_cards" for every rule of the program's years that
    names the rotation."""
    out = []
    for sy in ScheduleYear.objects.filter(program=program).select_related("academic_year"):
        doc = sy.rules if isinstance(sy.rules, dict) else {}
        for kind in RULE_KINDS:
            for rule in doc.get(kind) or []:
                if not isinstance(rule, dict):
                    continue
                for key in SELECTORS[kind]:
                    target = rule.get(key)
                    if isinstance(target, dict) and code in (target.get("rotations") or []):
                        out.append(f"{sy.academic_year} {kind}/{rule.get('id')}")
                        break
    return out


def rename_rotation_in_rules(doc: Any, old: str, new: str) -> Any:
    """The rules document with rotation code ``old`` replaced by ``new`` in every target."""
    if not isinstance(doc, dict):
        return doc
    out = dict(doc)
    for kind in RULE_KINDS:
        items = doc.get(kind)
        if not isinstance(items, list):
            continue
        rules = []
        for rule in items:
            if isinstance(rule, dict):
                rule = dict(rule)
                for key in SELECTORS[kind]:
                    target = rule.get(key)
                    if isinstance(target, dict) and isinstance(target.get("rotations"), list):
                        rule[key] = {
                            **target,
                            "rotations": [new if c == old else c for c in target["rotations"]],
                        }
            rules.append(rule)
        out[kind] = rules
    return out


# --- The rules document ---------------------------------------------------------------------


def _selector_problem(value: Any, where: str, keys: set[str], item: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, dict):
        return f"{where}: an object with " + ", ".join(sorted(keys))
    if unknown := set(value) - keys:
        return f"{where}: unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(keys))})"
    for key in sorted(keys):
        items = value.get(key, [])
        want_int = item == "int" and key == "pgys"
        ok = isinstance(items, list) and all(
            is_int(x) if want_int else isinstance(x, str) for x in items
        )
        if not ok:
            kind = "whole numbers" if want_int else "texts"
            return f"{where}.{key}: a list of {kind}"
    return ""


def _structure_problem(doc: Any) -> str:
    """Shapes parse_rules does not check (or would fail on without naming the place)."""
    if not isinstance(doc, dict):
        return ""
    for kind in RULE_KINDS:
        items = doc.get(kind, [])
        if not isinstance(items, list):
            return ""
        for i, rule in enumerate(items):
            where = f"{kind}[{i}]"
            if not isinstance(rule, dict):
                return ""
            known = COMMON_KEYS | RULE_KEYS[kind] | set(SELECTORS[kind])
            if unknown := set(rule) - known:
                return (
                    f"{where}: unknown key {sorted(unknown)[0]!r} "
                    f"(known: {', '.join(sorted(known))})"
                )
            if "id" in rule and (not isinstance(rule["id"], str) or not rule["id"].strip()):
                return f"{where}.id: a non-empty text"
            if "id" in rule and "/" in rule["id"]:
                return f"{where}.id: an id has no '/'"
            if "description" in rule and not isinstance(rule["description"], str):
                return f"{where}.description: a text"
            for key in SELECTORS[kind]:
                keys = {"rotations", "categories", "sites"}
                if problem := _selector_problem(rule.get(key), f"{where}.{key}", keys, "str"):
                    return problem
            if problem := _selector_problem(
                rule.get("who"), f"{where}.who", {"pgys", "tracks"}, "int"
            ):
                return problem
            for flag in ("exclusive", "symmetric"):
                if flag in rule and not isinstance(rule[flag], bool):
                    return f"{where}.{flag}: true or false"
    return ""


def _range_problem(kind: str, rule: dict[str, Any], where: str, n_blocks: int) -> str:
    def num(key: str, default: int | None = None) -> int | None:
        value = rule.get(key, default)
        return value if is_int(value) else None

    weight = num("weight")
    if weight is not None and weight < 0:
        return f"{where}.weight: a weight is 0 or more"
    if kind == "requirements":
        lo, hi = num("min", 0) or 0, num("max")
        if lo < 0:
            return f"{where}.min: 0 or more"
        if hi is not None and hi < lo:
            return f"{where}.max: max {hi} is below min {lo}"
    elif kind == "windows":
        first, last, least = num("first"), num("last"), num("min_blocks", 1)
        assert first is not None and last is not None and least is not None
        if not 0 <= first < n_blocks:
            return f"{where}.first: a block from 0 to {n_blocks - 1} (0 is block 1)"
        if not first <= last < n_blocks:
            return f"{where}.last: a block from first ({first}) to {n_blocks - 1}"
        if not 1 <= least <= last - first + 1:
            return f"{where}.min_blocks: from 1 to {last - first + 1} (the window's length)"
    elif kind == "templates":
        offset = num("offset", 0) or 0
        if offset < 0:
            return f"{where}.offset: 0 or more"
    elif kind == "max_consecutive":
        k = num("k") or 0
        if k < 1:
            return f"{where}.k: at least 1"
    elif kind == "min_spacing":
        gap = num("gap") or 0
        if gap < 1:
            return f"{where}.gap: at least 1"
    return ""


def _reference_problem(
    kind: str, rule: dict[str, Any], where: str, refs: dict[str, set[Any]]
) -> str:
    names = {"rotations": "rotation", "categories": "category", "sites": "site"}
    for key in SELECTORS[kind]:
        target = rule.get(key) or {}
        for sub, noun in names.items():
            if unknown := [x for x in target.get(sub, []) if x not in refs[sub]]:
                return f"{where}.{key}.{sub}: no {noun} {unknown[0]!r} in this program"
    who = rule.get("who") or {}
    if unknown := [p for p in who.get("pgys", []) if p not in refs["pgys"]]:
        return f"{where}.who.pgys: PGY {unknown[0]} is not a PGY of this program"
    if unknown := [t for t in who.get("tracks", []) if t not in refs["tracks"]]:
        return f"{where}.who.tracks: no track {unknown[0]!r} in this program"
    return ""


def references(sy: ScheduleYear) -> dict[str, set[Any]]:
    rotations = list(Rotation.objects.filter(program_id=sy.program_id).values_list("code", "site"))
    return {
        "rotations": {c for c, _ in rotations},
        "categories": set(CATEGORIES),
        "sites": {s for _, s in rotations if s},
        "pgys": set(pgy_range(sy.program)),
        "tracks": set(track_codes(sy.program)),
    }


def rules_problem(doc: Any, sy: ScheduleYear, old: Any = None) -> str:
    """What is wrong with a rules document for this year, the path first ("" if nothing).
    References to rotations, sites, PGYs and tracks are checked in the rules that are new or
    changed from ``old`` (a rule written before a rotation was renamed stays editable)."""
    if problem := _structure_problem(doc):
        return problem
    try:
        parse_rules(doc)
    except RulesError as e:
        return str(e)
    except (ValueError, TypeError) as e:  # pragma: no cover - the structure check comes first
        return f"rules: {e}"
    assert isinstance(doc, dict) or doc is None
    doc = doc or {}
    refs = references(sy)
    old = old if isinstance(old, dict) else {}
    for kind in RULE_KINDS:
        before = [r for r in old.get(kind) or [] if isinstance(r, dict)]
        for i, rule in enumerate(doc.get(kind, [])):
            where = f"{kind}[{i}]"
            if problem := _range_problem(kind, rule, where, sy.n_blocks):
                return problem
            if rule not in before and (problem := _reference_problem(kind, rule, where, refs)):
                return problem
    if any(p not in refs["pgys"] for p in doc.get("intern_pgys", [])):
        return f"intern_pgys: PGYs of this program are {min(refs['pgys'])} to {max(refs['pgys'])}"
    if doc.get("vacation_pending_weight", 0) < 0:
        return "vacation_pending_weight: 0 or more"
    if doc.get("wish_weight", 0) < 0:
        return "wish_weight: 0 or more"
    if any(w < 0 for w in doc.get("preference_weights", [])):
        return "preference_weights: every weight is 0 or more"
    return ""


def rule_path(message: str) -> str:
    """The path a rules message starts with ("requirements[2].min"), or ""."""
    head = message.split(":", 1)[0] if ":" in message else ""
    return head if re.fullmatch(r"[a-z_]+(\[\d+\])?(\.[a-z_]+)*", head) else ""


# --- Describing rules -----------------------------------------------------------------------


def describe_target(target: Any) -> str:
    if not isinstance(target, dict):
        return "any rotation"
    parts = []
    for key in ("rotations", "categories", "sites"):
        values = target.get(key) or []
        if values:
            parts.append("/".join(str(v) for v in values))
    return " and ".join(parts) or "any rotation"


def describe_who(who: Any) -> str:
    if not isinstance(who, dict):
        return "everyone"
    parts = []
    if pgys := who.get("pgys"):
        parts.append("PGY " + ", ".join(str(p) for p in pgys))
    if tracks := who.get("tracks"):
        parts.append(", ".join(str(t) for t in tracks))
    return " on ".join(parts) or "everyone"


def describe_strength(rule: dict[str, Any]) -> str:
    weight = rule.get("weight")
    return "hard" if weight is None else f"soft, weight {weight}"


def describe_rule(kind: str, rule: dict[str, Any]) -> str:
    """One line in words for a rule row."""
    t = describe_target(rule.get("target"))
    if kind == "requirements":
        lo, hi = rule.get("min", 0), rule.get("max")
        unit = rule.get("unit", "blocks")
        span = f"at least {lo}" if hi is None else (f"{lo}-{hi}" if lo else f"at most {hi}")
        if hi is not None and hi == lo:
            span = f"exactly {lo}"
        per = "over the residency" if rule.get("scope") == "residency" else "this year"
        return f"{span} {unit} of {t} {per}"
    if kind == "windows":
        first, last = rule.get("first", 0), rule.get("last", 0)
        least = rule.get("min_blocks", 1)
        first_n = first + 1 if is_int(first) else first
        last_n = last + 1 if is_int(last) else last
        return f"at least {least} block(s) of {t} in blocks {first_n}-{last_n}"
    if kind == "templates":
        off = rule.get("offset", 0)
        only = "" if rule.get("exclusive", True) else " (also outside)"
        x, y = rule.get("x", 0), rule.get("y", 0)
        return f"{x}+{y}: {y} block(s) of {t} every {x + y} blocks, offset {off}{only}"
    if kind == "max_consecutive":
        return f"at most {rule.get('k')} consecutive blocks of {t}"
    if kind == "forbidden_adjacent":
        arrow = "next to" if rule.get("symmetric", True) else "followed by"
        return (
            f"no {describe_target(rule.get('first'))} {arrow} {describe_target(rule.get('then'))}"
        )
    if kind == "min_spacing":
        return f"stints of {t} at least {rule.get('gap')} blocks apart"
    if kind == "rest_after":
        return (
            f"no {describe_target(rule.get('intensive'))} right after "
            f"{describe_target(rule.get('after'))}"
        )
    return f"even out {rule.get('metric', 'blocks')} of {t}"


def rule_rows(doc: Any) -> list[dict[str, Any]]:
    """The rules document as sections of rows for the set-up screen."""
    doc = doc if isinstance(doc, dict) else {}
    out = []
    for kind in RULE_KINDS:
        rows = []
        for rule in doc.get(kind) or []:
            if not isinstance(rule, dict):
                continue
            rows.append(
                {
                    "id": str(rule.get("id", "")),
                    "description": rule.get("description", ""),
                    "summary": describe_rule(kind, rule),
                    "who": describe_who(rule.get("who")),
                    "strength": ""
                    if kind in ("templates", "fairness")
                    else describe_strength(rule),
                }
            )
        out.append(
            {
                "kind": kind,
                "label": KIND_LABELS[kind],
                "singular": KIND_SINGULAR[kind],
                "article": "an" if KIND_SINGULAR[kind][0] in "aeiouX" else "a",
                "rows": rows,
            }
        )
    return out
