"""The set-up screen of a schedule year (editors only): the calendar, the program's rotations
with their coverage, and the rules document as rows per kind of rule (or as JSON).

Every view checks access first (404 for people who may not see the program, 403 for readers),
then the method. Writes go through meded.schedules.actions; editing configuration never
changes existing versions, the next solve uses it. Rule forms open inline with htmx (the same
URLs render a whole page without it)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from meded.schedules import access, actions, config
from meded.schedules.access import ScheduleAccess
from meded.schedules.forms import (
    RotationForm,
    RuleForm,
    RuleSettingsForm,
    RulesJsonForm,
    ScheduleYearForm,
    add_errors,
)
from meded.schedules.models import Assignment, ElectivePreference, Rotation
from meded.schedules.rules import RULE_KINDS


def _editor(request: HttpRequest, slug: str, pk: int) -> ScheduleAccess:
    return access.get_schedule_year(request.user, slug, pk, edit=True)


def _setup_url(acc: ScheduleAccess, anchor: str = "") -> str:
    url = reverse("schedules:setup", args=[acc.program.slug, acc.schedule_year.pk])
    return f"{url}#{anchor}" if anchor else url


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _done(request: HttpRequest, url: str) -> HttpResponse:
    """After a write: htmx reloads the page it is on (the new rows and the message show
    there; a redirect to the same page with an anchor would only scroll), others are
    redirected."""
    if _is_htmx(request):
        response = HttpResponse(status=200)
        response["HX-Refresh"] = "true"
        return response
    return redirect(url)


def _rule_template(request: HttpRequest) -> str:
    """Inline (htmx) the form alone; otherwise a page around it."""
    return "schedules/_setup_rule_form.html" if _is_htmx(request) else "schedules/setup_rule.html"


def _base(acc: ScheduleAccess) -> dict[str, Any]:
    return {"acc": acc, "sy": acc.schedule_year, "program": acc.program}


def _rotation(acc: ScheduleAccess, rotation_id: int) -> Rotation:
    rot = Rotation.objects.filter(pk=rotation_id, program_id=acc.program.pk).first()
    if rot is None:
        raise Http404("No such rotation")
    return rot


def _kind(kind: str) -> str:
    if kind not in RULE_KINDS:
        raise Http404("No such kind of rule")
    return kind


def _rule(acc: ScheduleAccess, kind: str, rule_id: str) -> dict[str, Any]:
    doc = acc.schedule_year.rules if isinstance(acc.schedule_year.rules, dict) else {}
    for rule in doc.get(kind) or []:
        if isinstance(rule, dict) and str(rule.get("id")) == rule_id:
            return rule
    raise Http404("No such rule")


@login_required
def setup(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The set-up screen; POST saves the calendar."""
    acc = _editor(request, slug, pk)
    sy = acc.schedule_year
    if request.method == "POST":
        form = ScheduleYearForm(request.POST, schedule_year=sy)
        if form.is_valid():
            try:
                actions.do_update_schedule_year(request.user, sy, form.values())
            except actions.ConfigError as e:
                add_errors(form, e.errors)
            else:
                messages.success(
                    request, "The calendar is saved. Existing versions keep their assignments."
                )
                return redirect(_setup_url(acc, "calendar"))
    else:
        form = ScheduleYearForm(schedule_year=sy)
    rotations = list(Rotation.objects.filter(program_id=acc.program.pk))
    used = set(
        Assignment.objects.filter(rotation__program_id=acc.program.pk)
        .values_list("rotation_id", flat=True)
        .distinct()
    )
    rows = [
        {"rotation": r, "coverage": config.coverage_summary(r.coverage), "used": r.pk in used}
        for r in rotations
    ]
    doc = sy.rules if isinstance(sy.rules, dict) else {}
    problem = config.rules_problem(doc, sy, old=doc)
    return render(
        request,
        "schedules/setup.html",
        {
            **_base(acc),
            "form": form,
            "rotations": rows,
            "sections": config.rule_rows(doc),
            "settings": {
                "intern_pgys": doc.get("intern_pgys", [1]),
                "vacation_pending_weight": doc.get("vacation_pending_weight", 10),
                "wish_weight": doc.get("wish_weight", 5),
                "preference_weights": doc.get("preference_weights", [5, 3, 1]),
            },
            "rules_problem": problem,
        },
    )


def _rotation_page(
    request: HttpRequest, acc: ScheduleAccess, rotation: Rotation | None
) -> HttpResponse:
    sy = acc.schedule_year
    if request.method == "POST":
        form = RotationForm(request.POST, schedule_year=sy, rotation=rotation)
        if form.is_valid():
            try:
                saved = actions.do_save_rotation(request.user, sy, rotation, form.values())
            except actions.ConfigError as e:
                add_errors(form, e.errors)
            except actions.ScheduleError as e:
                form.add_error(None, str(e))
            else:
                verb = "added" if rotation is None else "saved"
                messages.success(request, f"Rotation {saved.code} is {verb}.")
                return redirect(_setup_url(acc, "rotations"))
    else:
        form = RotationForm(schedule_year=sy, rotation=rotation)
    all_sites = Rotation.objects.filter(program_id=acc.program.pk).values_list("site", flat=True)
    sites = sorted({s for s in all_sites if s})
    return render(
        request,
        "schedules/setup_rotation.html",
        {**_base(acc), "form": form, "rotation": rotation, "sites": sites},
    )


@login_required
def rotation_new(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _rotation_page(request, _editor(request, slug, pk), None)


@login_required
def rotation_edit(request: HttpRequest, slug: str, pk: int, rotation_id: int) -> HttpResponse:
    acc = _editor(request, slug, pk)
    return _rotation_page(request, acc, _rotation(acc, rotation_id))


@login_required
def rotation_delete(request: HttpRequest, slug: str, pk: int, rotation_id: int) -> HttpResponse:
    """GET: what deleting would do (or why it cannot be done); POST: delete."""
    acc = _editor(request, slug, pk)
    rot = _rotation(acc, rotation_id)
    if request.method == "POST":
        try:
            actions.do_delete_rotation(request.user, acc.schedule_year, rot)
        except actions.ScheduleError as e:
            messages.error(request, str(e))
            return redirect(_setup_url(acc, "rotations"))
        messages.success(request, f"Rotation {rot.code} is deleted.")
        return redirect(_setup_url(acc, "rotations"))
    versions = Assignment.objects.filter(rotation=rot).values("version").distinct().count()
    return render(
        request,
        "schedules/setup_rotation_delete.html",
        {
            **_base(acc),
            "rotation": rot,
            "versions": versions,
            "rules": config.rules_using_rotation(acc.program, rot.code),
            "rankings": ElectivePreference.objects.filter(rotation=rot).count(),
        },
    )


def _rule_page(
    request: HttpRequest, acc: ScheduleAccess, kind: str, old_id: str | None
) -> HttpResponse:
    sy = acc.schedule_year
    rule = _rule(acc, kind, old_id) if old_id is not None else None
    if request.method == "POST":
        form = RuleForm(request.POST, schedule_year=sy, kind=kind, rule=rule)
        if form.is_valid():
            new = form.to_rule()
            try:
                actions.do_save_rule(request.user, sy, kind, new, old_id=old_id)
            except actions.ConfigError as e:
                form.add_config_errors(e.errors)
            except actions.ScheduleError as e:
                form.add_error(None, str(e))
            else:
                what = config.KIND_SINGULAR[kind].capitalize()
                verb = "added" if old_id is None else "saved"
                messages.success(request, f"{what} {new['id']} is {verb}.")
                return _done(request, _setup_url(acc, f"rules-{kind}"))
    else:
        form = RuleForm(schedule_year=sy, kind=kind, rule=rule)
    ctx = {
        **_base(acc),
        "form": form,
        "kind": kind,
        "kind_label": config.KIND_LABELS[kind],
        "singular": config.KIND_SINGULAR[kind],
        "old_id": old_id,
        "action": request.path,
    }
    return render(request, _rule_template(request), ctx)


@login_required
def rule_new(request: HttpRequest, slug: str, pk: int, kind: str) -> HttpResponse:
    acc = _editor(request, slug, pk)
    return _rule_page(request, acc, _kind(kind), None)


@login_required
def rule_edit(request: HttpRequest, slug: str, pk: int, kind: str, rule_id: str) -> HttpResponse:
    acc = _editor(request, slug, pk)
    return _rule_page(request, acc, _kind(kind), rule_id)


@login_required
def rule_delete(request: HttpRequest, slug: str, pk: int, kind: str, rule_id: str) -> HttpResponse:
    acc = _editor(request, slug, pk)
    _kind(kind)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _rule(acc, kind, rule_id)
    try:
        actions.do_delete_rule(request.user, acc.schedule_year, kind, rule_id)
    except (actions.ConfigError, actions.ScheduleError) as e:
        messages.error(request, str(e))
    else:
        what = config.KIND_SINGULAR[kind].capitalize()
        messages.success(request, f"{what} {rule_id} is deleted.")
    return _done(request, _setup_url(acc, f"rules-{kind}"))


@login_required
def rule_settings(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The rules' top-level numbers."""
    acc = _editor(request, slug, pk)
    sy = acc.schedule_year
    if request.method == "POST":
        form = RuleSettingsForm(request.POST, schedule_year=sy)
        if form.is_valid():
            values = form.values()
            try:
                actions.do_set_rules(request.user, sy, values, keys=list(values))
            except actions.ConfigError as e:
                add_errors(form, e.errors)
            else:
                messages.success(request, "The rules' numbers are saved.")
                return _done(request, _setup_url(acc, "rules"))
    else:
        form = RuleSettingsForm(schedule_year=sy)
    return render(
        request,
        _rule_template(request),
        {
            **_base(acc),
            "form": form,
            "kind": "settings",
            "kind_label": "Numbers",
            "singular": "numbers",
            "old_id": "settings",
            "action": request.path,
        },
    )


@login_required
def rules_json(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Advanced: the whole rules document as JSON; nothing is saved while it is invalid."""
    acc = _editor(request, slug, pk)
    sy = acc.schedule_year
    if request.method == "POST":
        form = RulesJsonForm(request.POST)
        if form.is_valid():
            try:
                actions.do_set_rules(request.user, sy, form.cleaned_data["document"])
            except actions.ConfigError as e:
                for path, message in e.errors.items():
                    form.add_error("document", f"{path}: {message}" if path else message)
            else:
                messages.success(request, "The rules document is saved.")
                return redirect(_setup_url(acc, "rules"))
    else:
        text = json.dumps(sy.rules or {}, indent=2, ensure_ascii=False)
        form = RulesJsonForm(initial={"document": text})
    return render(request, "schedules/setup_rules_json.html", {**_base(acc), "form": form})
