from __future__ import annotations

import pytest

from meded.audit.models import AuditEntry
from meded.schedules import adapters
from meded.schedules.actions import ScheduleError, do_publish, do_set_assignment
from meded.schedules.models import Assignment, Rotation, ScheduleVersion


def _url(sy, name="", **query):
    base = f"/schedules/{sy.program.slug}/{sy.pk}/{name}"
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _interns_on(version, code, block):
    return list(
        Assignment.objects.filter(version=version, block=block, rotation__code=code).select_related(
            "appointment"
        )
    )


def test_the_grid_shows_every_resident_by_pgy_with_colored_cells_and_a_legend(as_user, solved):
    sy = solved.schedule_year
    r = as_user("chief").get(_url(sy, v=solved.pk))
    assert r.status_code == 200
    html = r.content.decode()
    assert "PGY-1" in html and "PGY-2" in html and "PGY-3" in html
    assert "c-wards" in html and "c-icu" in html and 'class="legend"' in html
    n = len(adapters.build_problem(sy).residents)
    assert html.count("data-a=") == n
    assert 'id="coverage"' in html
    # the rules panel loads on its own request, so the grid shows first
    assert 'id="rules"' in html and "Checking every rule" in html
    rules = as_user("chief").get(_url(sy, "rules/", v=solved.pk)).content.decode()
    assert "All hard rules hold" in rules


def test_the_grid_filters_by_pgy_and_track(as_user, solved):
    sy = solved.schedule_year
    html = as_user("chief").get(_url(sy, v=solved.pk, pgy=1, track="preliminary")).content.decode()
    prelims = [a for a in adapters.residents_of(sy) if a.track and a.track.code == "preliminary"]
    assert html.count("data-a=") == len(prelims) >= 1
    assert "PGY-2" not in html


def test_the_grid_takes_a_fixed_number_of_queries(as_user, solved, django_assert_max_num_queries):
    client = as_user("chief")
    url = _url(solved.schedule_year, v=solved.pk)
    client.get(url)
    with django_assert_max_num_queries(30):
        assert client.get(url).status_code == 200


def test_moving_interns_off_micu_below_its_minimum_lists_the_coverage_violation(as_user, solved):
    sy = solved.schedule_year
    client = as_user("chief")
    micu_min = next(
        c["min"]
        for c in Rotation.objects.get(program=sy.program, code="micu").coverage
        if c["role"] == "intern"
    )
    assert micu_min >= 1
    block = 5
    interns = [
        a
        for a in _interns_on(solved, "micu", block)
        if a.appointment.years.get(academic_year=sy.academic_year).pgy == 1
    ]
    assert interns
    before = client.get(_url(sy, "rules/", v=solved.pk)).content.decode()
    assert "Coverage of Medical ICU (intern)" not in before
    for cell in interns:
        r = client.post(
            _url(sy, "cell/"),
            {"v": solved.pk, "a": cell.appointment_id, "b": block, "rotation": "el_geri"},
        )
        assert r.status_code == 200
        assert r["HX-Trigger"] == "schedule-changed"
        assert "el_geri" in r.content.decode()
    after = client.get(_url(sy, "rules/", v=solved.pk)).content.decode()
    assert "Coverage of Medical ICU (intern)" in after
    assert f"Medical ICU has 0 intern in block {block + 1}, needs {micu_min}" in after
    coverage = client.get(_url(sy, "coverage/", v=solved.pk)).content.decode()
    assert "cov-bad" in coverage
    entry = AuditEntry.objects.filter(action="update", object_type="schedules.assignment").latest(
        "id"
    )
    assert entry.changes == {"rotation": ["micu", "el_geri"]}
    assert entry.actor_name == "chief" and entry.program_id == sy.program_id


def test_the_cell_chooser_offers_the_programs_rotations(as_user, solved):
    sy = solved.schedule_year
    cell = Assignment.objects.filter(version=solved)[0]
    html = (
        as_user("coordinator")
        .get(_url(sy, "cell/", v=solved.pk, a=cell.appointment_id, b=cell.block))
        .content.decode()
    )
    assert "<select" in html and 'value="micu"' in html and "selected" in html


def test_publishing_makes_a_version_visible_to_the_resident_and_a_draft_is_not(
    as_user, solved, users
):
    sy = solved.schedule_year
    resident = as_user("resident")
    r = resident.get(_url(sy))
    assert r.status_code == 200
    assert "not published yet" in r.content.decode()
    assert resident.get(_url(sy, v=solved.pk)).status_code == 404
    assert resident.get(_url(sy, "schedule.csv", v=solved.pk)).status_code == 404
    r = as_user("chief").post(_url(sy, "publish/"), {"v": solved.pk})
    assert r.status_code == 302
    solved.refresh_from_db()
    assert solved.is_published
    html = resident.get(_url(sy)).content.decode()
    assert 'class="mine"' in html
    assert 'id="solve"' not in html and 'id="rules"' not in html and "/cell/" not in html
    assert AuditEntry.objects.filter(
        object_type="schedules.scheduleversion", object_id=str(solved.pk), note="published"
    ).exists()


def test_one_version_is_published_per_year_and_published_versions_are_not_edited(solved, users):
    chief = users["chief"]
    do_publish(chief, solved)
    second = ScheduleVersion.objects.create(schedule_year=solved.schedule_year, number=2)
    Assignment.objects.bulk_create(
        Assignment(
            version=second,
            appointment_id=a.appointment_id,
            block=a.block,
            rotation_id=a.rotation_id,
        )
        for a in solved.assignments.all()
    )
    second.schedule_year = solved.schedule_year
    do_publish(chief, second)
    solved.refresh_from_db()
    assert solved.status == "draft" and second.status == "published"
    cell = second.assignments.all()[0]
    with pytest.raises(ScheduleError):
        do_set_assignment(chief, second, cell.appointment_id, cell.block, None)


def test_compare_lists_the_cells_that_changed(as_user, solved, users):
    sy = solved.schedule_year
    client = as_user("chief")
    client.post(_url(sy, "copy/"), {"v": solved.pk})
    copy = ScheduleVersion.objects.get(schedule_year=sy, number=2)
    copy.schedule_year = sy
    cell = copy.assignments.select_related("rotation")[0]
    new = Rotation.objects.filter(program=sy.program).exclude(pk=cell.rotation_id)[0]
    do_set_assignment(users["chief"], copy, cell.appointment_id, cell.block, new)
    html = client.get(_url(sy, "compare/", a=solved.pk, b=copy.pk)).content.decode()
    assert "1 changed cell, 1 resident." in " ".join(html.split())
    assert new.code in html
