"""Who may do what with schedules. Decided: editors are the GME office, director, associate
directors, coordinators and chief residents; faculty read the published schedule only (no
drafts, no rules panel, no edits); residents read the published schedule with their own row
highlighted; outsiders and other programs' users get 404."""

from __future__ import annotations

import pytest

from meded.schedules.actions import do_publish

EDITORS = ["gme-admin", "director", "coordinator", "chief"]
STRANGERS = ["outsider", "surgery-coordinator"]


def _urls(version):
    sy = version.schedule_year
    base = f"/schedules/{sy.program.slug}/{sy.pk}/"
    job = ""
    return {
        "program": f"/schedules/{sy.program.slug}/",
        "year": base,
        "version": f"{base}?v={version.pk}",
        "coverage": f"{base}coverage/?v={version.pk}",
        "rules": f"{base}rules/?v={version.pk}",
        "cell": f"{base}cell/?v={version.pk}&a=1&b=0",
        "compare": f"{base}compare/?a={version.pk}&b={version.pk}",
        "csv": f"{base}schedule.csv?v={version.pk}",
        "xlsx": f"{base}schedule.xlsx?v={version.pk}",
        "ics": f"{base}calendar.ics",
        "requests": f"{base}requests/",
        "api_versions": f"/api/schedules/{sy.program.slug}/versions?year={sy.pk}",
        "api_assignments": f"/api/schedules/{sy.program.slug}/assignments?version={version.pk}",
        "api_check": f"/api/schedules/{sy.program.slug}/check?version={version.pk}",
    } | ({"job": job} if job else {})


@pytest.mark.parametrize("username", STRANGERS)
def test_outsiders_and_other_programs_users_get_404_from_every_schedule_url(
    as_user, solved, users, username
):
    do_publish(users["chief"], solved)
    client = as_user(username)
    for name, url in _urls(solved).items():
        assert client.get(url).status_code == 404, (name, url)
    sy = solved.schedule_year
    for action in ("solve", "publish", "copy", "cell"):
        r = client.post(f"/schedules/{sy.program.slug}/{sy.pk}/{action}/", {"v": solved.pk})
        assert r.status_code == 404, action
    r = client.post(f"/api/schedules/{sy.program.slug}/versions?year={sy.pk}")
    assert r.status_code == 404


@pytest.mark.parametrize("username", EDITORS)
def test_chief_coordinator_director_and_gme_office_see_drafts_and_edit(as_user, solved, username):
    client = as_user(username)
    urls = _urls(solved)
    html = client.get(urls["version"]).content.decode()
    assert 'id="solve"' in html and 'id="rules"' in html and "/cell/" in html
    cell = solved.assignments.first()
    sy = solved.schedule_year
    r = client.post(
        f"/schedules/{sy.program.slug}/{sy.pk}/cell/",
        {"v": solved.pk, "a": cell.appointment_id, "b": cell.block, "rotation": "vacation"},
    )
    assert r.status_code == 200 and "vacation" in r.content.decode()


def test_faculty_read_the_published_schedule_but_not_drafts_and_cannot_edit(as_user, solved, users):
    client = as_user("faculty")
    urls = _urls(solved)
    assert client.get(urls["version"]).status_code == 404  # a draft
    assert "not published yet" in client.get(urls["year"]).content.decode()
    do_publish(users["chief"], solved)
    html = client.get(urls["year"]).content.decode()
    assert "data-a=" in html and 'id="solve"' not in html and "/cell/" not in html
    sy = solved.schedule_year
    assert client.get(urls["rules"]).status_code == 403
    assert client.post(f"/schedules/{sy.program.slug}/{sy.pk}/solve/").status_code == 403
    assert (
        client.post(f"/schedules/{sy.program.slug}/{sy.pk}/publish/", {"v": solved.pk}).status_code
        == 403
    )
    assert client.get(urls["csv"]).status_code == 200


def test_a_resident_sees_only_the_published_version_with_their_row_highlighted(
    as_user, solved, users
):
    client = as_user("resident")
    urls = _urls(solved)
    for name in ("version", "csv", "xlsx", "ics", "api_assignments"):
        assert client.get(urls[name]).status_code == 404, name
    assert client.get(urls["rules"]).status_code == 403
    do_publish(users["chief"], solved)
    html = client.get(urls["year"]).content.decode()
    assert html.count('class="mine"') == 1
    assert "Brookfield" in html.split('class="mine"')[1].split("</tr>")[0]
    assert client.get(urls["ics"]).status_code == 200
    # another resident's calendar is not theirs to read
    other = solved.assignments.exclude(appointment__person__user__username="resident").first()
    body = client.get(urls["ics"] + f"?resident={other.appointment_id}").content.decode()
    assert "Brookfield" in body


def test_post_only_views_refuse_get_after_access_is_checked(as_user, solved):
    sy = solved.schedule_year
    r = as_user("chief").get(f"/schedules/{sy.program.slug}/{sy.pk}/solve/")
    assert r.status_code == 405
    r = as_user("outsider").get(f"/schedules/{sy.program.slug}/{sy.pk}/solve/")
    assert r.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(as_user, solved):
    r = as_user(None).get(_urls(solved)["year"])
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
