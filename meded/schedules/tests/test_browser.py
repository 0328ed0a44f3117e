"""A chief resident solves the year in a real browser, edits a cell, sees the rule it breaks,
and publishes."""

from __future__ import annotations

import re

import pytest

from meded.org.demo import DEMO_PASSWORD
from meded.org.models import Program
from meded.schedules.demo import load_schedule_demo
from meded.schedules.models import ScheduleVersion, ScheduleYear

pytestmark = pytest.mark.browser


def test_a_chief_solves_the_year_edits_a_cell_sees_the_broken_rule_and_publishes(demo_live, page):
    sy = load_schedule_demo(Program.objects.get(slug="internal-medicine"))
    ScheduleYear.objects.filter(pk=sy.pk).update(solve_seconds=4)
    base = demo_live.url

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "chief")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/home/$"))

    page.goto(f"{base}/schedules/internal-medicine/{sy.pk}/")
    page.get_by_text("No version yet").first.wait_for()
    page.click("#solve")
    page.wait_for_url(re.compile(r"/schedules/jobs/[0-9a-f-]+/$"), timeout=30_000)
    page.locator("#open-version").click(timeout=30_000)
    page.wait_for_url(re.compile(r"\?v=\d+$"))
    # the rules panel loads on its own request after the grid
    page.locator("#rules").get_by_text("All hard rules hold").wait_for(timeout=10_000)

    cell = page.locator("#grid td.cell", has_text=re.compile(r"^micu$")).first
    row = cell.locator("xpath=..")
    name = row.locator("td.name").inner_text().split(" ")[0]
    cell.click()
    chooser = page.locator("#grid td.editing select")
    chooser.wait_for()
    chooser.select_option("el_geri")
    page.locator("#grid td.cell", has_text=re.compile(r"^el_geri$")).first.wait_for()
    rules = page.locator("#rules")
    rules.get_by_text("broken").wait_for(timeout=10_000)
    text = rules.inner_text()
    assert "Rotation length" in text
    assert name.rstrip(",") in text

    page.locator("button.publish").first.click()
    page.get_by_text(re.compile(r"Version \d+ is published")).wait_for()
    version = ScheduleVersion.objects.get(schedule_year=sy, status="published")
    assert version.assignments.filter(rotation__code="el_geri").exists()
