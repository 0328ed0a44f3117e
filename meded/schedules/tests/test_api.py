from __future__ import annotations

from meded.schedules.actions import do_publish
from meded.schedules.models import ScheduleVersion


def test_the_api_lists_versions_assignments_and_the_rules_status(as_user, solved):
    sy = solved.schedule_year
    client = as_user("chief")
    base = f"/api/schedules/{sy.program.slug}"
    versions = client.get(f"{base}/versions?year={sy.pk}").json()
    assert [v["number"] for v in versions] == [1]
    cells = client.get(f"{base}/assignments?version={solved.pk}").json()
    assert len(cells) == solved.assignments.count()
    assert {"appointment_id", "resident", "block", "rotation"} <= cells[0].keys()
    assert min(c["block"] for c in cells) == 1
    report = client.get(f"{base}/check?version={solved.pk}").json()
    assert report["ok"] is True and report["violations"] == []


def test_the_api_defaults_to_the_current_year_and_hides_drafts_from_residents(
    as_user, solved, users
):
    base = f"/api/schedules/{solved.schedule_year.program.slug}"
    assert as_user("resident").get(f"{base}/versions").json() == []
    assert as_user("resident").get(f"{base}/assignments").status_code == 404
    do_publish(users["chief"], solved)
    assert len(as_user("resident").get(f"{base}/versions").json()) == 1
    assert as_user("resident").get(f"{base}/check").status_code == 403
    assert as_user("resident").post(f"{base}/versions").status_code == 403


def test_the_api_solves_a_new_draft(as_user, sy):
    r = as_user("coordinator").post(
        f"/api/schedules/{sy.program.slug}/versions?year={sy.pk}&time_limit=4"
    )
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["job_status"] in ("succeeded", "queued", "running")
    version = ScheduleVersion.objects.get(pk=body["version"]["id"])
    assert version.solver_status in ("OPTIMAL", "FEASIBLE")
    assert version.assignments.exists()


def test_the_solve_button_leads_to_a_job_page_with_objective_and_bound_over_time(as_user, sy):
    from meded.schedules.models import ScheduleYear

    ScheduleYear.objects.filter(pk=sy.pk).update(solve_seconds=3)
    client = as_user("chief")
    r = client.post(f"/schedules/{sy.program.slug}/{sy.pk}/solve/")
    assert r.status_code == 302 and r["Location"].startswith("/schedules/jobs/")
    page = client.get(r["Location"]).content.decode()
    assert "<svg" in page and "objective" in page and "bound" in page
    version = ScheduleVersion.objects.get(schedule_year=sy)
    assert f"?v={version.pk}" in page
    progress = client.get(r["Location"] + "progress/")
    assert progress.status_code == 200 and 'hx-trigger="every 1s"' not in progress.content.decode()
    # the job page is the schedule editors' only
    assert as_user("faculty").get(r["Location"]).status_code == 404
