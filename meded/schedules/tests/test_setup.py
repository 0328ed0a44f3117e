"""The set-up screen of a schedule year: the calendar, the program's rotations with their
coverage, and the rules document as rows per kind (or as JSON); the actions behind it, their
audit entries, who may use it, and the configuration API."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from meded.audit.models import AuditEntry
from meded.org.demo import DEMO_PASSWORD
from meded.org.models import Program
from meded.schedules import actions, config
from meded.schedules.demo import load_schedule_demo, rules_document
from meded.schedules.models import Assignment, Rotation, ScheduleVersion, ScheduleYear
from meded.schedules.rules import RULE_KINDS, parse_rules

Case = tuple[dict[str, Any], str, str]

EDITORS = ["gme-admin", "director", "coordinator", "chief"]
READERS = ["faculty", "resident"]
STRANGERS = ["outsider", "surgery-coordinator"]


def _url(sy, name=""):
    return f"/schedules/{sy.program.slug}/{sy.pk}/setup/{name}"


def _api(sy, name):
    return f"/api/schedules/{sy.program.slug}/{name}?year={sy.pk}"


def _setup_urls(sy):
    rot = Rotation.objects.get(program=sy.program, code="micu")
    return {
        "setup": _url(sy),
        "rotation_new": _url(sy, "rotations/new/"),
        "rotation": _url(sy, f"rotations/{rot.pk}/"),
        "rotation_delete": _url(sy, f"rotations/{rot.pk}/delete/"),
        "rule_settings": _url(sy, "rules/settings/"),
        "rules_json": _url(sy, "rules/json/"),
        "rule_new": _url(sy, "rules/requirements/new/"),
        "rule": _url(sy, "rules/requirements/pgy1_wards/"),
        "rule_delete": _url(sy, "rules/requirements/pgy1_wards/delete/"),
    }


def _api_urls(sy):
    return {
        "api_rotations": _api(sy, "rotations"),
        "api_rotation": _api(sy, "rotations/micu"),
        "api_rules": _api(sy, "rules"),
    }


def _requirement(**over):
    data = {
        "id": "pgy1_ed",
        "description": "Interns: a block in the ED",
        "target_categories": ["ed"],
        "who_pgys": ["1"],
        "min": "1",
        "max": "",
        "unit": "blocks",
        "scope": "year",
        "strength": "hard",
        "weight": "",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def _rotation_post(**over):
    data = {
        "code": "el_endo",
        "name": "Endocrinology elective",
        "category": "elective",
        "site": "Main hospital",
        "length": "1",
        "pgys": ["2", "3"],
        "tracks": ["categorical"],
        "sort_order": "",
        "cov_intern_min": "",
        "cov_intern_max": "",
        "cov_senior_min": "1",
        "cov_senior_max": "2",
        "cov_any_min": "",
        "cov_any_max": "3",
    }
    data.update(over)
    return data


# --- Access ---------------------------------------------------------------------------------


def test_the_year_page_links_to_the_setup_screen_for_editors_only(as_user, sy, users):
    year = f"/schedules/{sy.program.slug}/{sy.pk}/"
    assert _url(sy) in as_user("chief").get(year).content.decode()
    assert _url(sy) not in as_user("faculty").get(year).content.decode()
    assert _url(sy) not in as_user("resident").get(year).content.decode()


@pytest.mark.parametrize("username", EDITORS)
def test_every_editor_opens_the_setup_screen_and_each_of_its_forms(as_user, sy, username):
    client = as_user(username)
    html = client.get(_url(sy)).content.decode()
    assert 'id="calendar"' in html and 'id="rotations"' in html and 'id="rules"' in html
    assert 'data-rotation="micu"' in html and 'data-rule="pgy1_wards"' in html
    for kind in RULE_KINDS:
        assert f'id="rules-{kind}"' in html
    for name, url in _setup_urls(sy).items():
        assert client.get(url).status_code == (405 if name == "rule_delete" else 200), name
    for name, url in _api_urls(sy).items():
        assert client.get(url).status_code == 200, name


@pytest.mark.parametrize("username", READERS)
def test_a_resident_or_faculty_member_cannot_open_the_setup_screen(as_user, sy, username):
    client = as_user(username)
    for name, url in _setup_urls(sy).items():
        assert client.get(url).status_code == 403, name
        assert client.post(url, _requirement()).status_code == 403, name
    for name, url in _api_urls(sy).items():
        assert client.get(url).status_code == 403, name
    r = client.put(_api(sy, "rules"), data="{}", content_type="application/json")
    assert r.status_code == 403
    assert ScheduleYear.objects.get(pk=sy.pk).rules == rules_document()


def test_a_resident_cannot_open_the_setup_screen(as_user, sy):
    r = as_user("resident").get(_url(sy))
    assert r.status_code == 403


@pytest.mark.parametrize("username", STRANGERS)
def test_outsiders_and_other_programs_users_get_404_from_every_setup_url(as_user, sy, username):
    client = as_user(username)
    for name, url in _setup_urls(sy).items():
        assert client.get(url).status_code == 404, name
        assert client.post(url, _requirement()).status_code == 404, name
    for name, url in _api_urls(sy).items():
        assert client.get(url).status_code == 404, name
        r = client.put(url, data="{}", content_type="application/json")
        assert r.status_code in (404, 405), name
    assert client.delete(_api(sy, "rotations/micu")).status_code == 404
    assert ScheduleYear.objects.get(pk=sy.pk).rules == rules_document()


def test_anonymous_visitors_are_sent_to_sign_in_from_the_setup_screen(as_user, sy):
    client = as_user(None)
    r = client.get(_url(sy))
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    assert client.get(_api(sy, "rules")).status_code == 401


@pytest.mark.parametrize("username", READERS + STRANGERS)
def test_the_configuration_actions_refuse_anyone_who_cannot_edit(sy, users, username):
    user = users[username]
    rot = Rotation.objects.get(program=sy.program, code="el_geri")
    attempts = [
        lambda: actions.do_update_schedule_year(user, sy, {"solve_seconds": 5}),
        lambda: actions.do_save_rotation(user, sy, rot, {"name": "X"}),
        lambda: actions.do_delete_rotation(user, sy, rot),
        lambda: actions.do_save_rule(user, sy, "requirements", {"id": "x"}),
        lambda: actions.do_delete_rule(user, sy, "requirements", "pgy1_wards"),
        lambda: actions.do_set_rules(user, sy, {}),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert not AuditEntry.objects.filter(actor=user).exists()


# --- The calendar ---------------------------------------------------------------------------


def test_a_coordinator_changes_the_calendar_and_the_audit_log_keeps_old_and_new(as_user, sy):
    start = sy.start_date
    r = as_user("coordinator").post(
        _url(sy),
        {
            "n_blocks": "13",
            "block_days": "28",
            "start_date": start.isoformat(),
            "requests_open": (start - dt.timedelta(days=60)).isoformat(),
            "requests_close": (start - dt.timedelta(days=30)).isoformat(),
            "solve_seconds": "45",
        },
    )
    assert r.status_code == 302 and r["Location"].endswith("#calendar")
    sy.refresh_from_db()
    assert (sy.n_blocks, sy.block_days, sy.solve_seconds) == (13, 28, 45)
    entry = AuditEntry.objects.filter(object_type="schedules.scheduleyear").latest("id")
    assert entry.actor_name == "coordinator" and entry.program_id == sy.program_id
    assert entry.changes["n_blocks"] == [26, 13]
    assert entry.changes["block_days"] == [14, 28]
    assert entry.changes["requests_close"][1] == (start - dt.timedelta(days=30)).isoformat()


def test_an_invalid_calendar_names_the_field_and_saves_nothing(as_user, sy):
    before = ScheduleYear.objects.filter(pk=sy.pk).values().get()
    client = as_user("chief")
    base = {
        "n_blocks": "26",
        "block_days": "14",
        "start_date": sy.start_date.isoformat(),
        "requests_open": "",
        "requests_close": "",
        "solve_seconds": "10",
    }
    cases = [
        ({"n_blocks": "30"}, "30 blocks of 14 days make 420 days"),
        ({"requests_open": "2030-01-10", "requests_close": "2030-01-01"}, "closes before it"),
        ({"requests_open": "2030-01-10"}, "or neither"),
        ({"start_date": "1999-07-01"}, "within the academic year"),
        ({"solve_seconds": "0"}, "greater than or equal to 1"),
    ]
    for change, message in cases:
        r = client.post(_url(sy), {**base, **change})
        assert r.status_code == 200, change
        assert message in r.content.decode(), change
    assert ScheduleYear.objects.filter(pk=sy.pk).values().get() == before


def test_fewer_blocks_than_a_rotation_lasts_is_refused(sy, users):
    Rotation.objects.filter(program=sy.program, code="micu").update(length=4)
    with pytest.raises(actions.ConfigError) as e:
        actions.do_update_schedule_year(users["chief"], sy, {"n_blocks": 3, "block_days": 14})
    assert "micu" in e.value.errors["n_blocks"]


# --- Rotations ------------------------------------------------------------------------------


def test_a_coordinator_adds_a_rotation_with_coverage_rows(as_user, sy):
    r = as_user("coordinator").post(_url(sy, "rotations/new/"), _rotation_post())
    assert r.status_code == 302, r.content.decode()
    rot = Rotation.objects.get(program=sy.program, code="el_endo")
    assert rot.pgys == [2, 3] and rot.tracks == ["categorical"] and rot.length == 1
    assert rot.coverage == [
        {"role": "senior", "min": 1, "max": 2},
        {"role": "any", "min": 0, "max": 3},
    ]
    others = Rotation.objects.filter(program=sy.program).exclude(pk=rot.pk)
    assert rot.sort_order == max(r.sort_order for r in others) + 1  # last
    entry = AuditEntry.objects.filter(object_type="schedules.rotation", action="create").latest(
        "id"
    )
    assert entry.actor_name == "coordinator" and entry.object_id == str(rot.pk)
    assert entry.changes["coverage"] == [None, rot.coverage]
    html = as_user("coordinator").get(_url(sy)).content.decode()
    assert 'data-rotation="el_endo"' in html and "seniors 1-2 · anyone 0-3" in html


def test_an_invalid_rotation_names_each_field_and_saves_nothing(as_user, sy):
    client = as_user("chief")
    cases: list[Case] = [
        ({"cov_senior_min": "3", "cov_senior_max": "1"}, "cov_senior_max", "below the minimum"),
        ({"length": "27"}, "length", "A stint lasts from 1 to 26 blocks"),
        ({"length": "0"}, "length", "greater than or equal to 1"),
        ({"pgys": ["5"]}, "pgys", "Select a valid choice"),
        ({"tracks": ["surgery"]}, "tracks", "Select a valid choice"),
        ({"code": "micu"}, "code", "already has a rotation"),
        ({"code": "bad code!"}, "code", "Letters, digits"),
        ({"category": "spa"}, "category", "Select a valid choice"),
    ]
    count = Rotation.objects.count()
    for change, field, message in cases:
        r = client.post(_url(sy, "rotations/new/"), _rotation_post(**change))
        assert r.status_code == 200, change
        errors = r.context["form"].errors
        assert field in errors and message in " ".join(errors[field]), (change, errors)
    assert Rotation.objects.count() == count


def test_the_rotation_action_checks_what_the_form_cannot(sy, users):
    chief = users["chief"]
    base = {"code": "x1", "name": "X", "category": "elective", "length": 1}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"pgys": [4]}, "pgys"),
        ({"tracks": ["nope"]}, "tracks"),
        ({"coverage": [{"role": "any", "min": 3, "max": 1}]}, "coverage"),
        ({"coverage": [{"role": "boss", "min": 1}]}, "coverage"),
        ({"length": 27}, "length"),
        ({"code": "micu"}, "code"),
    ]
    for change, field in cases:
        with pytest.raises(actions.ConfigError) as e:
            actions.do_save_rotation(chief, sy, None, {**base, **change})
        assert field in e.value.errors, change
    assert not Rotation.objects.filter(code="x1").exists()


def test_a_chief_edits_a_rotation_and_a_new_code_carries_into_the_rules(as_user, sy):
    rot = Rotation.objects.get(program=sy.program, code="el_cards")
    client = as_user("chief")
    form = client.get(_url(sy, f"rotations/{rot.pk}/")).context["form"]
    assert form.initial["code"] == "el_cards"
    r = client.post(
        _url(sy, f"rotations/{rot.pk}/"),
        _rotation_post(
            code="el_cardio",
            name="Cardiology elective",
            pgys=[],
            tracks=[],
            sort_order=str(rot.sort_order),
            cov_senior_min="",
            cov_senior_max="",
        ),
    )
    assert r.status_code == 302, r.context["form"].errors
    rot.refresh_from_db()
    assert rot.code == "el_cardio" and rot.coverage == [{"role": "any", "min": 0, "max": 3}]
    sy.refresh_from_db()
    once = next(x for x in sy.rules["requirements"] if x["id"] == "once_el_cards")
    assert once["target"] == {"rotations": ["el_cardio"]}
    parse_rules(sy.rules)
    entry = AuditEntry.objects.filter(object_type="schedules.rotation", action="update").latest(
        "id"
    )
    assert entry.changes["code"] == ["el_cards", "el_cardio"]
    assert AuditEntry.objects.filter(
        object_type="schedules.scheduleyear", note__contains="el_cards renamed el_cardio"
    ).exists()


def test_a_rotation_used_by_a_version_cannot_be_deleted(as_user, solved):
    sy = solved.schedule_year
    rot = Rotation.objects.get(program=sy.program, code="micu")
    client = as_user("chief")
    page = client.get(_url(sy, f"rotations/{rot.pk}/delete/")).content.decode()
    assert "cannot be deleted" in page and 'id="confirm-delete"' not in page
    r = client.post(_url(sy, f"rotations/{rot.pk}/delete/"), follow=True)
    assert "cannot be deleted: schedule versions use it" in r.content.decode()
    assert Rotation.objects.filter(pk=rot.pk).exists()
    assert not AuditEntry.objects.filter(object_type="schedules.rotation", action="delete").exists()


def test_a_rotation_named_by_rules_is_kept_and_an_unused_one_is_deleted_with_an_audit_entry(
    as_user, sy, users
):
    client = as_user("coordinator")
    named = Rotation.objects.get(program=sy.program, code="el_cards")
    r = client.post(_url(sy, f"rotations/{named.pk}/delete/"), follow=True)
    assert "rules name it" in r.content.decode() and "once_el_cards" in r.content.decode()
    assert Rotation.objects.filter(pk=named.pk).exists()
    spare = actions.do_save_rotation(
        users["coordinator"], sy, None, {"code": "spare", "name": "Spare", "category": "away"}
    )
    assert (
        'id="confirm-delete"'
        in client.get(_url(sy, f"rotations/{spare.pk}/delete/")).content.decode()
    )
    r = client.post(_url(sy, f"rotations/{spare.pk}/delete/"))
    assert r.status_code == 302
    assert not Rotation.objects.filter(pk=spare.pk).exists()
    entry = AuditEntry.objects.filter(object_type="schedules.rotation", action="delete").latest(
        "id"
    )
    assert entry.object_id == str(spare.pk) and entry.changes["code"] == ["spare", None]


def test_a_rotation_other_records_point_at_is_kept(sy, users):
    micu = Rotation.objects.get(program=sy.program, code="micu")
    records = actions._records_of(micu)
    if not records:
        pytest.skip("nothing but versions and rankings points at rotations")
    with pytest.raises(actions.ScheduleError, match="cannot be deleted"):
        actions.do_delete_rotation(users["chief"], sy, micu)
    assert Rotation.objects.filter(pk=micu.pk).exists()


def test_editing_the_configuration_leaves_existing_versions_unchanged(as_user, solved, users):
    sy = solved.schedule_year
    before = list(
        Assignment.objects.filter(version=solved).values_list("appointment", "block", "rotation")
    )
    chief = users["chief"]
    micu = Rotation.objects.get(program=sy.program, code="micu")
    actions.do_save_rotation(chief, sy, micu, {"length": 1, "name": "MICU"})
    actions.do_save_rule(chief, sy, "max_consecutive", {"id": "short", "k": 1})
    actions.do_update_schedule_year(chief, sy, {"solve_seconds": 7})
    after = list(
        Assignment.objects.filter(version=solved).values_list("appointment", "block", "rotation")
    )
    assert after == before
    assert ScheduleVersion.objects.get(pk=solved.pk).solver_status == "FEASIBLE"


# --- Rules as rows --------------------------------------------------------------------------


def test_a_chief_adds_a_requirement_row_and_the_document_still_parses(as_user, sy):
    client = as_user("chief")
    r = client.post(_url(sy, "rules/requirements/new/"), _requirement())
    assert r.status_code == 302 and r["Location"].endswith("#rules-requirements")
    sy.refresh_from_db()
    rule = sy.rules["requirements"][-1]
    assert rule == {
        "id": "pgy1_ed",
        "description": "Interns: a block in the ED",
        "target": {"categories": ["ed"]},
        "who": {"pgys": [1]},
        "min": 1,
        "unit": "blocks",
        "scope": "year",
    }
    parsed = parse_rules(sy.rules)
    assert parsed.requirements[-1].id == "pgy1_ed" and parsed.requirements[-1].weight is None
    entry = AuditEntry.objects.filter(object_type="schedules.scheduleyear").latest("id")
    assert entry.changes == {"requirements/pgy1_ed": [None, rule]}
    assert entry.actor_name == "chief" and "requirement pgy1_ed added" in entry.note
    html = client.get(_url(sy)).content.decode()
    assert 'data-rule="pgy1_ed"' in html and "Interns: a block in the ED" in html


def test_an_invalid_rule_names_the_field_and_saves_nothing(as_user, sy):
    client = as_user("chief")
    cases: list[Case] = [
        ({"min": "3", "max": "1"}, "max", "below at least 3"),
        ({"id": "pgy1_wards"}, "id", "Another requirement is 'pgy1_wards'"),
        ({"id": "has space"}, "id", "Letters, digits"),
        ({"strength": "soft", "weight": ""}, "weight", "A soft rule has a weight"),
        ({"unit": "weeks"}, "unit", "Select a valid choice"),
        ({"target_rotations": ["nope"]}, "target_rotations", "Select a valid choice"),
        ({"who_pgys": ["7"]}, "who_pgys", "Select a valid choice"),
    ]
    for change, field, message in cases:
        r = client.post(_url(sy, "rules/requirements/new/"), _requirement(**change))
        assert r.status_code == 200, change
        errors = r.context["form"].errors
        assert field in errors and message in " ".join(errors[field]), (change, errors)
    assert ScheduleYear.objects.get(pk=sy.pk).rules == rules_document()
    assert not AuditEntry.objects.filter(object_type="schedules.scheduleyear").exists()


def test_a_rules_problem_elsewhere_in_the_document_is_named_by_its_path(as_user, sy, users):
    """A window that ends after the year's last block (the year got shorter) is refused when
    any rule is saved, and the form says where."""
    ScheduleYear.objects.filter(pk=sy.pk).update(n_blocks=10)
    sy.refresh_from_db()
    with pytest.raises(actions.ConfigError) as e:
        actions.do_save_rule(users["chief"], sy, "requirements", {"id": "x", "min": 1})
    # the demo's first pathway window starts in block 1 and reaches past block 10
    window = rules_document()["windows"][0]
    assert window["first"] == 0 and window["last"] >= 10
    assert e.value.errors == {"windows[0].last": "a block from first (0) to 9"}
    r = as_user("chief").post(_url(sy, "rules/requirements/new/"), _requirement())
    assert "windows[0].last: a block from first (0) to 9" in r.content.decode()
    assert ScheduleYear.objects.get(pk=sy.pk).rules == rules_document()


RULE_POSTS: dict[str, dict[str, Any]] = {
    "requirements": _requirement(),
    "windows": {
        "id": "psp_late",
        "who_tracks": ["psp"],
        "target_categories": ["research"],
        "first": "14",
        "last": "26",
        "min_blocks": "2",
        "strength": "soft",
        "weight": "5",
    },
    "templates": {
        "id": "acr2",
        "x": "4",
        "y": "2",
        "target_rotations": ["acr"],
        "who_tracks": ["categorical"],
        "offset": "1",
    },
    "max_consecutive": {
        "id": "icu_run",
        "target_categories": ["icu"],
        "k": "2",
        "strength": "hard",
    },
    "forbidden_adjacent": {
        "id": "ed_nf",
        "first_categories": ["ed"],
        "then_categories": ["night_float"],
        "strength": "soft",
        "weight": "3",
    },
    "min_spacing": {"id": "icu_gap", "target_categories": ["icu"], "gap": "1", "strength": "hard"},
    "rest_after": {
        "id": "rest_icu",
        "after_categories": ["icu"],
        "intensive_categories": ["night_float"],
        "strength": "hard",
    },
    "fairness": {"id": "ed_fair", "metric": "blocks", "weight": "1", "target_categories": ["ed"]},
}
RULE_EXPECTED: dict[str, dict[str, Any]] = {
    "windows": {"first": 13, "last": 25, "min_blocks": 2, "weight": 5, "who": {"tracks": ["psp"]}},
    "templates": {"x": 4, "y": 2, "offset": 1, "exclusive": False},
    "max_consecutive": {"k": 2, "target": {"categories": ["icu"]}},
    "forbidden_adjacent": {
        "first": {"categories": ["ed"]},
        "then": {"categories": ["night_float"]},
        "symmetric": False,
        "weight": 3,
    },
    "min_spacing": {"gap": 1},
    "rest_after": {"after": {"categories": ["icu"]}, "intensive": {"categories": ["night_float"]}},
    "fairness": {"metric": "blocks", "weight": 1},
}


@pytest.mark.parametrize("kind", RULE_KINDS)
def test_each_kind_of_rule_has_a_form_that_fits_and_saves_a_row(as_user, sy, kind):
    client = as_user("coordinator")
    r = client.get(_url(sy, f"rules/{kind}/new/"), HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and f'id="rule-form-{kind}"' in html
    for key in config.SELECTORS[kind]:
        assert f'name="{key}_categories"' in html
    assert ('name="strength"' in html) == (kind not in ("templates", "fairness"))
    r = client.post(_url(sy, f"rules/{kind}/new/"), RULE_POSTS[kind], HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r["HX-Refresh"] == "true", r.content.decode()
    sy.refresh_from_db()
    rule = sy.rules[kind][-1]
    assert rule["id"] == RULE_POSTS[kind]["id"]
    for key, value in RULE_EXPECTED.get(kind, {}).items():
        assert rule[key] == value, (key, rule)
    parse_rules(sy.rules)


def test_a_rule_form_with_errors_comes_back_inline(as_user, sy):
    r = as_user("chief").post(
        _url(sy, "rules/windows/new/"),
        {**RULE_POSTS["windows"], "first": "20", "last": "10"},
        HTTP_HX_REQUEST="true",
    )
    html = r.content.decode()
    assert r.status_code == 200 and "HX-Refresh" not in r and "<html" not in html
    assert "The window ends before it starts." in html


def test_editing_a_rule_shows_it_as_it_is_keeps_its_place_and_deleting_removes_it(as_user, sy):
    client = as_user("director")
    window = rules_document()["windows"][0]
    form = client.get(_url(sy, f"rules/windows/{window['id']}/")).context["form"]
    # blocks as people count them, not 0-based
    shown = (form.initial["first"], form.initial["last"])
    assert shown == (window["first"] + 1, window["last"] + 1)
    form = client.get(_url(sy, "rules/requirements/research_max/")).context["form"]
    assert form.initial["strength"] == "soft" and form.initial["weight"] == 10
    at = [r["id"] for r in sy.rules["requirements"]].index("pgy1_wards")
    data = _requirement(
        id="pgy1_wards",
        description="Interns: at least 9 blocks of wards",
        target_categories=["wards"],
        min="9",
    )
    r = client.post(_url(sy, "rules/requirements/pgy1_wards/"), data)
    assert r.status_code == 302
    sy.refresh_from_db()
    assert sy.rules["requirements"][at]["min"] == 9
    entry = AuditEntry.objects.filter(object_type="schedules.scheduleyear").latest("id")
    old, new = entry.changes["requirements/pgy1_wards"]
    assert old["min"] == 8 and new["min"] == 9
    r = client.post(_url(sy, "rules/requirements/pgy1_wards/delete/"))
    assert r.status_code == 302
    sy.refresh_from_db()
    assert "pgy1_wards" not in [r["id"] for r in sy.rules["requirements"]]
    entry = AuditEntry.objects.filter(object_type="schedules.scheduleyear").latest("id")
    assert entry.changes["requirements/pgy1_wards"][1] is None
    assert client.get(_url(sy, "rules/requirements/pgy1_wards/")).status_code == 404
    assert client.get(_url(sy, "rules/nonsense/new/")).status_code == 404


def test_the_rules_numbers_are_edited_on_their_own_form(as_user, sy):
    client = as_user("chief")
    r = client.post(
        _url(sy, "rules/settings/"),
        {
            "intern_pgys": ["1"],
            "vacation_pending_weight": "4",
            "wish_weight": "7",
            "preference_weights": "6, 2",
        },
    )
    assert r.status_code == 302
    sy.refresh_from_db()
    assert sy.rules["vacation_pending_weight"] == 4 and sy.rules["preference_weights"] == [6, 2]
    assert sy.rules["wish_weight"] == 7
    assert sy.rules["requirements"] == rules_document()["requirements"]
    r = client.post(
        _url(sy, "rules/settings/"),
        {
            "intern_pgys": ["1"],
            "vacation_pending_weight": "4",
            "wish_weight": "7",
            "preference_weights": "6, x",
        },
    )
    assert "Whole numbers separated by commas" in r.content.decode()


# --- Rules as JSON --------------------------------------------------------------------------


def test_the_json_editor_saves_a_valid_document(as_user, sy):
    client = as_user("chief")
    page = client.get(_url(sy, "rules/json/")).content.decode()
    assert "pgy1_wards" in page
    doc = rules_document()
    doc["max_consecutive"][0]["k"] = 4
    r = client.post(_url(sy, "rules/json/"), {"document": json.dumps(doc)})
    assert r.status_code == 302
    sy.refresh_from_db()
    assert sy.rules["max_consecutive"][0]["k"] == 4
    entry = AuditEntry.objects.filter(object_type="schedules.scheduleyear").latest("id")
    assert list(entry.changes) == ["max_consecutive"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["requirements"][1].update(mn=3), "requirements[1]: unknown key 'mn'"),
        (lambda d: d["requirements"][2].update(min="two"), "requirements[2]: min must be a whole"),
        (
            lambda d: d["requirements"][2].update(max=1, min=2),
            "requirements[2].max: max 1 is below",
        ),
        (
            lambda d: d["requirements"][0]["target"].update(rotations=["nope"]),
            "requirements[0].target.rotations: no rotation 'nope'",
        ),
        (lambda d: d["windows"][0]["who"].update(pgys=["one"]), "windows[0].who.pgys: a list"),
        (lambda d: d["templates"][0].update(x=0), "templates[0]: x and y must be at least 1"),
        (lambda d: d.update(extra=1), "unknown rule keys: extra"),
        (lambda d: d["fairness"].append(dict(d["fairness"][0])), "fairness: ids must be unique"),
        (lambda d: d["min_spacing"][0].update(gap=0), "min_spacing[0].gap: at least 1"),
        (lambda d: d.update(intern_pgys=[9]), "intern_pgys: PGYs of this program are 1 to 3"),
    ],
)
def test_invalid_json_rules_name_the_path_of_the_error_and_save_nothing(
    as_user, sy, change, message
):
    doc = copy.deepcopy(rules_document())
    change(doc)
    r = as_user("chief").post(_url(sy, "rules/json/"), {"document": json.dumps(doc)})
    assert r.status_code == 200
    assert message in " ".join(r.context["form"].errors["document"])
    assert ScheduleYear.objects.get(pk=sy.pk).rules == rules_document()


def test_json_that_does_not_parse_names_the_line_and_column(as_user, sy):
    r = as_user("chief").post(_url(sy, "rules/json/"), {"document": '{\n  "requirements": [,]\n}'})
    assert "Not valid JSON at line 2, column" in r.content.decode()
    r = as_user("chief").post(_url(sy, "rules/json/"), {"document": "[]"})
    assert "a JSON object" in r.content.decode()
    assert ScheduleYear.objects.get(pk=sy.pk).rules == rules_document()


def test_the_demo_rules_pass_every_check_of_the_setup_screen(sy):
    assert config.rules_problem(rules_document(), sy) == ""


# --- The API --------------------------------------------------------------------------------


def test_the_api_reads_and_updates_rotations(as_user, sy):
    client = as_user("coordinator")
    rows = client.get(_api(sy, "rotations")).json()
    assert {"micu", "acr", "vacation"} <= {r["code"] for r in rows}
    micu = client.get(_api(sy, "rotations/micu")).json()
    assert micu["coverage"] and micu["length"] == 2
    body = {
        "name": "Sleep medicine",
        "category": "elective",
        "pgys": [2, 3],
        "coverage": [{"role": "any", "max": 2}],
    }
    r = client.put(
        _api(sy, "rotations/el_sleep"), data=json.dumps(body), content_type="application/json"
    )
    assert r.status_code == 201, r.content
    assert r.json()["coverage"] == [{"role": "any", "min": 0, "max": 2}]
    r = client.put(
        _api(sy, "rotations/el_sleep"),
        data=json.dumps({"length": 2}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["length"] == 2 and r.json()["name"] == "Sleep medicine"
    assert (
        AuditEntry.objects.filter(
            object_type="schedules.rotation", actor_name="coordinator"
        ).count()
        == 2
    )
    r = client.delete(_api(sy, "rotations/el_sleep"))
    assert r.status_code == 204
    assert not Rotation.objects.filter(code="el_sleep").exists()


def test_the_api_answers_422_naming_the_field_of_a_bad_rotation(as_user, sy):
    client = as_user("chief")
    cases = [
        ({"length": 99}, "length"),
        ({"pgys": [0]}, "pgys"),
        ({"tracks": ["nope"]}, "tracks"),
        ({"coverage": [{"role": "senior", "min": 3, "max": 1}]}, "coverage"),
        ({"code": "ccu"}, "code"),
    ]
    for change, field in cases:
        r = client.put(
            _api(sy, "rotations/micu"), data=json.dumps(change), content_type="application/json"
        )
        assert r.status_code == 422, (change, r.content)
        assert [d["loc"] for d in r.json()["detail"]] == [["body", field]], r.json()
    r = client.put(
        _api(sy, "rotations/micu"),
        data=json.dumps({"length": "x"}),
        content_type="application/json",
    )
    assert r.status_code == 422 and "length" in r.json()["detail"][0]["loc"]
    assert Rotation.objects.get(program=sy.program, code="micu").length == 2


def test_the_api_refuses_to_delete_a_rotation_a_version_uses(as_user, solved):
    sy = solved.schedule_year
    r = as_user("chief").delete(_api(sy, "rotations/micu"))
    assert r.status_code == 409 and "schedule versions use it" in r.json()["detail"]


def test_the_api_reads_and_replaces_the_rules_document_and_names_the_path_of_an_error(as_user, sy):
    client = as_user("chief")
    doc = client.get(_api(sy, "rules")).json()
    assert doc == rules_document()
    doc["requirements"][0]["min"] = 3
    doc["requirements"][0]["max"] = 3
    r = client.put(_api(sy, "rules"), data=json.dumps(doc), content_type="application/json")
    assert r.status_code == 200 and r.json()["requirements"][0]["min"] == 3
    bad = copy.deepcopy(doc)
    at = [x["id"] for x in bad["requirements"]].index("senior_wards")
    bad["requirements"][at].update(min=4, max=1)
    r = client.put(_api(sy, "rules"), data=json.dumps(bad), content_type="application/json")
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", f"requirements[{at}]", "max"]
    assert detail["msg"] == "max 1 is below min 4"
    assert client.get(_api(sy, "rules")).json() == doc


# --- In a browser ---------------------------------------------------------------------------


@pytest.mark.browser
def test_a_chief_adds_a_requirement_row_and_sees_it_in_the_rules_panel(demo_live, page):
    sy = load_schedule_demo(Program.objects.get(slug="internal-medicine"))
    # An empty draft: the rules panel of the year page checks it against the rules as they
    # are now, so a new requirement shows there as soon as it is saved.
    version = ScheduleVersion.objects.create(schedule_year=sy, number=1, solver_status="copy")
    base = demo_live.url

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "chief")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/home/$"))

    page.goto(f"{base}/schedules/internal-medicine/{sy.pk}/")
    page.locator("#setup-link a").click()
    page.wait_for_url(re.compile(r"/setup/$"))
    page.click("#add-requirements")
    form = page.locator("#rule-form-requirements")
    form.wait_for()
    form.locator("input[name=id]").fill("pgy1_ed")
    form.locator("input[name=description]").fill("Interns: a block in the Emergency Department")
    form.locator("input[name=target_categories][value=ed]").check()
    form.locator("input[name=who_pgys][value='1']").check()
    form.locator("input[name=min]").fill("1")
    form.locator("button.save-rule").click()

    row = page.locator("#rules-requirements tr[data-rule=pgy1_ed]")
    row.wait_for()
    assert "Interns: a block in the Emergency Department" in row.inner_text()
    page.get_by_text("Requirement pgy1_ed is added.").wait_for()

    page.goto(f"{base}/schedules/internal-medicine/{sy.pk}/?v={version.pk}")
    # the rules panel loads on its own request after the grid
    rules = page.locator("#rules")
    rules.get_by_text("Interns: a block in the Emergency Department").first.wait_for()
    saved = ScheduleYear.objects.get(pk=sy.pk).rules["requirements"][-1]
    assert saved["id"] == "pgy1_ed" and saved["who"] == {"pgys": [1]}
