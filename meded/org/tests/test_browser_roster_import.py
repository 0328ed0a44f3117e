"""A coordinator imports two residents in a real browser and finds them on the roster and in
the audit log."""

from __future__ import annotations

import re

import pytest

from meded.org.demo import DEMO_PASSWORD
from meded.org.tests.roster_files import csv_bytes, resident

pytestmark = pytest.mark.browser


def test_a_coordinator_imports_two_residents_and_sees_them_on_the_roster_and_in_the_audit_log(
    demo_live, page, tmp_path
):
    base = demo_live.url
    roster = tmp_path / "new-interns.csv"
    roster.write_bytes(
        csv_bytes(
            [
                resident(1, first_name="Wilhelmina", last_name="Quackenbush"),
                resident(
                    2,
                    first_name="Bartholomew",
                    last_name="Zabriskie",
                    track="primary-care",
                    continuity_site="chelsea",
                ),
            ]
        )
    )

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "coordinator")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/home/$"))

    page.goto(f"{base}/org/programs/internal-medicine/roster/import/")
    page.get_by_text("Check only (write nothing)").wait_for()
    page.set_input_files("input[type=file]", str(roster))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    summary = page.locator(".result-summary")
    summary.wait_for(timeout=15_000)
    assert "2 created, 0 updated, 0 unchanged" in summary.inner_text()

    page.goto(f"{base}/org/programs/internal-medicine/roster/")
    content = page.content()
    assert "Quackenbush" in content and "Zabriskie" in content

    page.goto(f"{base}/audit/")
    content = page.content()
    assert "Roster import new-interns.csv: 2 created, 0 updated, 0 unchanged" in content
    assert "Wilhelmina" in content
