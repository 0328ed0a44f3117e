"""Forms of the schedule set-up screen: the year's calendar, a rotation with its coverage rows,
one rule of the rules document (fields fit its kind), the rules' top-level numbers and the
whole document as JSON. Checks shared with the actions and the API live in
meded.schedules.config; the writes themselves are in meded.schedules.actions."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from meded.schedules import config
from meded.schedules.models import CATEGORY_CHOICES, COVERAGE_ROLES, Rotation, ScheduleYear

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ROLE_LABELS = {"intern": "Interns", "senior": "Seniors", "any": "Anyone"}


def add_errors(form: forms.Form, errors: dict[str, str]) -> None:
    """Errors keyed by field (or rules path) onto the form: a known field gets its own, the
    rest go above the form."""
    for key, message in errors.items():
        field = key if key in form.fields else None
        form.add_error(field, message if field or key in ("", "rules") else f"{key}: {message}")


class ScheduleYearForm(forms.Form):
    n_blocks = forms.IntegerField(label="Blocks", min_value=1, max_value=config.MAX_BLOCKS)
    block_days = forms.IntegerField(label="Days per block", min_value=1, max_value=366)
    start_date = forms.DateField(label="Block 1 starts", widget=DATE)
    requests_open = forms.DateField(label="Requests open", required=False, widget=DATE)
    requests_close = forms.DateField(label="Requests close", required=False, widget=DATE)
    solve_seconds = forms.IntegerField(
        label="Solver time (seconds)", min_value=1, max_value=config.MAX_SOLVE_SECONDS
    )

    def __init__(self, *args: Any, schedule_year: ScheduleYear, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {k: getattr(schedule_year, k) for k in config.YEAR_FIELDS})
        super().__init__(*args, **kwargs)
        self.schedule_year = schedule_year

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            add_errors(self, config.year_errors(self.schedule_year, data))
        return data

    def values(self) -> dict[str, Any]:
        return {k: self.cleaned_data.get(k) for k in config.YEAR_FIELDS}


class RotationForm(forms.Form):
    """A rotation and its coverage: one row per role (intern, senior, anyone) with a minimum
    and a maximum per block; a row left empty sets no limit."""

    code = forms.RegexField(
        regex=config.CODE_RE,
        max_length=40,
        error_messages={"invalid": "Letters, digits, hyphens and underscores only."},
        help_text="Short and unique in the program; the rules and exports use it.",
    )
    name = forms.CharField(max_length=120)
    category = forms.ChoiceField(choices=CATEGORY_CHOICES)
    site = forms.CharField(max_length=120, required=False)
    length = forms.IntegerField(label="Blocks per stint", min_value=1)
    pgys = forms.TypedMultipleChoiceField(
        label="Eligible PGYs (none: every PGY)",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tracks = forms.MultipleChoiceField(
        label="Eligible tracks (none: every track)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sort_order = forms.IntegerField(label="Order in lists", min_value=0, max_value=32767)

    def __init__(
        self,
        *args: Any,
        schedule_year: ScheduleYear,
        rotation: Rotation | None = None,
        **kwargs: Any,
    ) -> None:
        if rotation is not None:
            initial = {k: getattr(rotation, k) for k in config.ROTATION_FIELDS}
            for c in rotation.coverage:
                role = c.get("role", "any")
                initial[f"cov_{role}_min"] = c.get("min", 0)
                initial[f"cov_{role}_max"] = c.get("max")
            kwargs.setdefault("initial", initial)
        else:
            kwargs.setdefault("initial", {"length": 1})
        super().__init__(*args, **kwargs)
        self.schedule_year = schedule_year
        self.rotation = rotation
        program = schedule_year.program
        self.fields["site"].widget.attrs["list"] = "sites"
        self.fields["length"].widget.attrs["max"] = schedule_year.n_blocks
        self.fields["pgys"].choices = [  # type: ignore[attr-defined]
            (p, f"PGY-{p}") for p in config.pgy_range(program)
        ]
        self.fields["tracks"].choices = [  # type: ignore[attr-defined]
            (t.code, t.name) for t in program.tracks.all()
        ]
        if rotation is None:
            self.fields["sort_order"].required = False
        for role in COVERAGE_ROLES:
            self.fields[f"cov_{role}_min"] = forms.IntegerField(
                label=f"{ROLE_LABELS[role]}: min", min_value=0, required=False
            )
            self.fields[f"cov_{role}_max"] = forms.IntegerField(
                label=f"{ROLE_LABELS[role]}: max", min_value=0, required=False
            )

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [self[k] for k in config.ROTATION_FIELDS if k in self.fields]

    @property
    def coverage_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (ROLE_LABELS[r], self[f"cov_{r}_min"], self[f"cov_{r}_max"]) for r in COVERAGE_ROLES
        ]

    def _coverage(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        rows = []
        for role in COVERAGE_ROLES:
            lo, hi = data.get(f"cov_{role}_min"), data.get(f"cov_{role}_max")
            if lo is None and hi is None:
                continue
            lo = lo or 0
            if hi is not None and hi < lo:
                self.add_error(f"cov_{role}_max", f"The maximum is below the minimum ({lo}).")
            rows.append({"role": role, "min": lo, "max": hi})
        return rows

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["coverage"] = self._coverage(data)
        if not self.errors:
            values = self.values()
            if values["sort_order"] is None:  # a new rotation goes last
                values["sort_order"] = 0
            add_errors(self, config.rotation_errors(self.schedule_year, values, self.rotation))
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {k: data.get(k) for k in config.ROTATION_FIELDS}


# --- Rules ----------------------------------------------------------------------------------

SELECTOR_LABELS = {
    "target": "Rotations it is about",
    "first": "First",
    "then": "Then (next block)",
    "after": "After",
    "intensive": "Not right after (intensive)",
}
STRENGTH_CHOICES = [("hard", "Hard: the solver never breaks it"), ("soft", "Soft: a cost")]


def _int_field(label: str, *, min_value: int = 0, required: bool = True, **kw: Any) -> Any:
    return forms.IntegerField(label=label, min_value=min_value, required=required, **kw)


def kind_fields(kind: str, n_blocks: int) -> dict[str, forms.Field]:
    """The number and choice fields of a rule of one kind (beyond id, description, the
    rotations it is about, who it applies to and hard/soft)."""
    if kind == "requirements":
        return {
            "min": _int_field("At least", required=False),
            "max": _int_field("At most (empty: no limit)", required=False),
            "unit": forms.ChoiceField(choices=[("blocks", "blocks"), ("stints", "stints")]),
            "scope": forms.ChoiceField(
                label="Counted over",
                choices=[("year", "this year"), ("residency", "the whole residency")],
            ),
        }
    if kind == "windows":
        return {
            "first": _int_field("From block", min_value=1, max_value=n_blocks),
            "last": _int_field("To block", min_value=1, max_value=n_blocks),
            "min_blocks": _int_field("At least (blocks in the window)", min_value=1),
        }
    if kind == "templates":
        return {
            "x": _int_field("X (blocks of other work)", min_value=1),
            "y": _int_field("Y (blocks on the rotations)", min_value=1),
            "offset": _int_field("Offset (blocks)", required=False),
            "exclusive": forms.BooleanField(
                label="Only in the +Y blocks (never outside them)", required=False
            ),
        }
    if kind == "max_consecutive":
        return {"k": _int_field("At most consecutive blocks", min_value=1)}
    if kind == "forbidden_adjacent":
        return {
            "symmetric": forms.BooleanField(
                label="Either order (not only first, then)", required=False
            )
        }
    if kind == "min_spacing":
        return {"gap": _int_field("At least blocks between stints", min_value=1)}
    if kind == "fairness":
        return {
            "metric": forms.ChoiceField(
                choices=[("blocks", "blocks on the rotations"), ("preference", "electives granted")]
            ),
            "weight": _int_field("Weight"),
        }
    return {}


class RuleForm(forms.Form):
    """One rule of the rules document; the fields fit its kind."""

    id = forms.RegexField(
        label="Id",
        regex=config.CODE_RE,
        max_length=60,
        error_messages={"invalid": "Letters, digits, hyphens and underscores only."},
    )
    description = forms.CharField(
        max_length=200, required=False, help_text="Shown in the rules panel when it is broken."
    )

    def __init__(
        self,
        *args: Any,
        schedule_year: ScheduleYear,
        kind: str,
        rule: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.kind = kind
        self.schedule_year = schedule_year
        self.rule = rule
        self.selectors = config.SELECTORS[kind]
        self.has_strength = kind not in ("templates", "fairness")
        if rule is not None:
            kwargs.setdefault("initial", self.initial_of(rule))
        elif kind == "templates":
            kwargs.setdefault("initial", {"exclusive": True})
        elif kind == "forbidden_adjacent":
            kwargs.setdefault("initial", {"symmetric": True})
        super().__init__(*args, **kwargs)
        program = schedule_year.program
        rotations = list(Rotation.objects.filter(program=program))
        refs = {
            "rotations": [(r.code, f"{r.code}: {r.name}") for r in rotations],
            "categories": list(CATEGORY_CHOICES),
            "sites": [(s, s) for s in sorted({r.site for r in rotations if r.site})],
        }
        for key in self.selectors:
            current = (rule or {}).get(key) or {}
            for sub, choices in refs.items():
                known = {c for c, _ in choices}
                extra = [(x, f"{x} (unknown)") for x in current.get(sub, []) if x not in known]
                self.fields[f"{key}_{sub}"] = forms.MultipleChoiceField(
                    label=f"{SELECTOR_LABELS[key]}: {sub}",
                    choices=choices + extra,
                    required=False,
                    widget=forms.SelectMultiple(attrs={"size": 6})
                    if sub == "rotations"
                    else forms.CheckboxSelectMultiple,
                )
        who = (rule or {}).get("who") or {}
        pgys = list(config.pgy_range(program))
        self.fields["who_pgys"] = forms.TypedMultipleChoiceField(
            label="For PGYs (none: every PGY)",
            coerce=int,
            required=False,
            choices=[(p, f"PGY-{p}") for p in pgys]
            + [(p, f"PGY-{p} (unknown)") for p in who.get("pgys", []) if p not in pgys],
            widget=forms.CheckboxSelectMultiple,
        )
        tracks = [(t.code, t.name) for t in program.tracks.all()]
        known_tracks = {c for c, _ in tracks}
        self.fields["who_tracks"] = forms.MultipleChoiceField(
            label="On tracks (none: every track)",
            required=False,
            choices=tracks
            + [(t, f"{t} (unknown)") for t in who.get("tracks", []) if t not in known_tracks],
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields.update(kind_fields(kind, schedule_year.n_blocks))
        if self.has_strength:
            self.fields["strength"] = forms.ChoiceField(
                choices=STRENGTH_CHOICES, widget=forms.RadioSelect, initial="hard"
            )
            self.fields["weight"] = _int_field(
                "Weight (soft rules: cost per unit broken)", min_value=1, required=False
            )

    def initial_of(self, rule: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            k: v for k, v in rule.items() if k not in ("who", *config.SELECTORS[self.kind])
        }
        for key in config.SELECTORS[self.kind]:
            for sub, values in (rule.get(key) or {}).items():
                initial[f"{key}_{sub}"] = values
        for sub, values in (rule.get("who") or {}).items():
            initial[f"who_{sub}"] = values
        if self.kind == "windows":
            for key in ("first", "last"):
                if config.is_int(rule.get(key)):
                    initial[key] = rule[key] + 1
        if self.kind not in ("templates", "fairness"):
            initial["strength"] = "hard" if rule.get("weight") is None else "soft"
        initial.setdefault("exclusive", True)
        initial.setdefault("symmetric", True)
        return initial

    @property
    def target_fields(self) -> list[forms.BoundField]:
        subs = ("rotations", "categories", "sites")
        return [self[f"{k}_{s}"] for k in self.selectors for s in subs]

    @property
    def who_fields(self) -> list[forms.BoundField]:
        return [self["who_pgys"], self["who_tracks"]]

    @property
    def number_fields(self) -> list[forms.BoundField]:
        names = list(kind_fields(self.kind, self.schedule_year.n_blocks))
        if self.has_strength:
            names += ["strength", "weight"]
        return [self[n] for n in names]

    def clean_id(self) -> str:
        value: str = self.cleaned_data["id"]
        if value == "new":
            raise forms.ValidationError("“new” is not an id a rule can have.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.kind == "requirements":
            lo, hi = data.get("min") or 0, data.get("max")
            if hi is not None and hi < lo:
                self.add_error("max", f"At most {hi} is below at least {lo}.")
        if self.kind == "windows":
            first, last, least = data.get("first"), data.get("last"), data.get("min_blocks")
            if first and last and last < first:
                self.add_error("last", "The window ends before it starts.")
            elif first and last and least and least > last - first + 1:
                self.add_error("min_blocks", f"The window has {last - first + 1} block(s).")
        if self.has_strength and data.get("strength") == "soft" and not data.get("weight"):
            self.add_error("weight", "A soft rule has a weight of 1 or more.")
        return data

    def to_rule(self) -> dict[str, Any]:
        """The rule as the document stores it (empty selectors and hard weights left out)."""
        data = self.cleaned_data
        rule: dict[str, Any] = {"id": data["id"]}
        if data.get("description"):
            rule["description"] = data["description"]
        for key in self.selectors:
            target = {
                sub: list(data.get(f"{key}_{sub}") or [])
                for sub in ("rotations", "categories", "sites")
                if data.get(f"{key}_{sub}")
            }
            if target or key != "target":
                rule[key] = target
        who: dict[str, Any] = {}
        if data.get("who_pgys"):
            who["pgys"] = sorted(data["who_pgys"])
        if data.get("who_tracks"):
            who["tracks"] = list(data["who_tracks"])
        if who:
            rule["who"] = who
        k = self.kind
        if k == "requirements":
            rule.update(min=data.get("min") or 0, unit=data["unit"], scope=data["scope"])
            if data.get("max") is not None:
                rule["max"] = data["max"]
        elif k == "windows":
            rule.update(
                first=data["first"] - 1, last=data["last"] - 1, min_blocks=data["min_blocks"]
            )
        elif k == "templates":
            rule.update(
                x=data["x"],
                y=data["y"],
                offset=data.get("offset") or 0,
                exclusive=bool(data.get("exclusive")),
            )
        elif k == "max_consecutive":
            rule["k"] = data["k"]
        elif k == "forbidden_adjacent":
            rule["symmetric"] = bool(data.get("symmetric"))
        elif k == "min_spacing":
            rule["gap"] = data["gap"]
        elif k == "fairness":
            rule.update(metric=data["metric"], weight=data["weight"])
        if self.has_strength and data.get("strength") == "soft":
            rule["weight"] = data["weight"]
        return rule

    def add_config_errors(self, errors: dict[str, str]) -> None:
        """Errors from the actions, keyed by rules path ("requirements[3].min"), onto the
        fields they name."""
        for path, message in errors.items():
            parts = path.split(".")[1:] if "[" in path else [path]
            name = "_".join(parts)
            if name in self.fields:
                self.add_error(name, message)
            elif parts and parts[0] in self.fields:
                self.add_error(parts[0], message)
            else:
                first = message.split(" ", 1)[0]
                field = first if first in self.fields else None
                self.add_error(field, message if field else f"{path}: {message}")


class RuleSettingsForm(forms.Form):
    """The rules' top-level numbers."""

    intern_pgys = forms.TypedMultipleChoiceField(
        label="PGYs that count as interns (coverage roles)",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    vacation_pending_weight = forms.IntegerField(
        label="Cost per pending vacation block not granted", min_value=0
    )
    wish_weight = forms.IntegerField(
        label="Cost per block against a resident's timing wish", min_value=0
    )
    preference_weights = forms.CharField(
        label="Reward for the elective ranked 1st, 2nd, ... (comma-separated)",
        required=False,
        max_length=100,
    )

    def __init__(self, *args: Any, schedule_year: ScheduleYear, **kwargs: Any) -> None:
        doc = schedule_year.rules if isinstance(schedule_year.rules, dict) else {}
        kwargs.setdefault(
            "initial",
            {
                "intern_pgys": doc.get("intern_pgys", [1]),
                "vacation_pending_weight": doc.get("vacation_pending_weight", 10),
                "wish_weight": doc.get("wish_weight", 5),
                "preference_weights": ", ".join(
                    str(w) for w in doc.get("preference_weights", [5, 3, 1])
                ),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["intern_pgys"].choices = [  # type: ignore[attr-defined]
            (p, f"PGY-{p}") for p in config.pgy_range(schedule_year.program)
        ]

    def clean_preference_weights(self) -> list[int]:
        raw = self.cleaned_data.get("preference_weights") or ""
        try:
            weights = [int(x) for x in raw.replace(" ", "").split(",") if x]
        except ValueError:
            message = "Whole numbers separated by commas, e.g. 5, 3, 1."
            raise forms.ValidationError(message) from None
        if any(w < 0 for w in weights):
            raise forms.ValidationError("Every weight is 0 or more.")
        return weights

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "intern_pgys": sorted(data.get("intern_pgys") or []),
            "vacation_pending_weight": data["vacation_pending_weight"],
            "wish_weight": data["wish_weight"],
            "preference_weights": data["preference_weights"],
        }


class RulesJsonForm(forms.Form):
    """The whole rules document as JSON (advanced)."""

    document = forms.CharField(
        label="Rules document (JSON)",
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "spellcheck": "false"}),
    )

    def clean_document(self) -> Any:
        raw = self.cleaned_data["document"]
        try:
            doc = json.loads(raw)
        except json.JSONDecodeError as e:
            raise forms.ValidationError(
                f"Not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}."
            ) from None
        if not isinstance(doc, dict):
            raise forms.ValidationError("The rules document is a JSON object ({...}).")
        return doc
