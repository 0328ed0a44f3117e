"""On a phone (390 x 844, touch): the navigation folds into a menu whose links are all
reachable, no page scrolls sideways as a whole, and the wide grids scroll inside their own
boxes with the names column and the header row kept in view. The resident's and the chief's
main pages, in a real Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from meded.rosters import actions as roster_actions
from meded.rosters import adapters
from meded.rosters.tests.test_browser import publish_demo_schedule, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}


@pytest.fixture
def rostered(demo_live: Any) -> tuple[Any, Any, int]:
    """The small demo's year published, and today's block rostered and published."""
    chief = User.objects.get(username="chief")
    im, sy = publish_demo_schedule(chief)
    block = adapters.block_of(sy, timezone.localdate())
    if block is None:
        pytest.skip("today is in no block of the demo year")
    roster = roster_actions.do_generate(chief, sy, block, time_limit=8)
    roster.refresh_from_db()
    roster.schedule_year = sy
    roster_actions.do_publish(chief, roster)
    return im, sy, block


def no_sideways_scroll(page: Any) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]"
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[1], (page.url, widths)
    assert widths[1] == PHONE["width"], "the page was zoomed out to fit something too wide"


def open_menu(page: Any) -> None:
    links = page.locator("#site-menu nav a")
    assert not links.first.is_visible()  # folded away
    page.locator("#menu-toggle").tap()
    links.first.wait_for(state="visible")
    assert page.locator("#menu-toggle").get_attribute("aria-expanded") == "true"
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box is not None and box["height"] >= 40, links.nth(i).inner_text()  # tappable
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def go_by_menu(page: Any, text: str, url: str) -> None:
    open_menu(page)
    page.locator("#site-menu nav a", has_text=text).first.tap()
    page.wait_for_url(re.compile(url))
    no_sideways_scroll(page)


def first_column_stays(page: Any, wrap: str, name_cell: str, header: str) -> None:
    """Scroll the grid's box sideways and down: the first column and the header row stay."""
    box = page.locator(wrap).first
    box.scroll_into_view_if_needed()
    before = page.locator(name_cell).first.bounding_box()
    head_before = page.locator(header).nth(3).bounding_box()
    assert before is not None and head_before is not None
    scrolled = box.evaluate(
        "el => { el.scrollLeft = 600; el.scrollTop = 200; return el.scrollLeft }"
    )
    assert scrolled > 0, "the grid is not wider than the screen"
    page.wait_for_timeout(100)  # let the browser lay out the scrolled box
    after = page.locator(name_cell).first.bounding_box()
    head_after = page.locator(header).nth(3).bounding_box()
    assert after is not None and head_after is not None
    assert after["x"] == pytest.approx(before["x"], abs=1)  # the names stay
    assert 0 <= after["x"] < PHONE["width"]
    assert head_after["x"] < head_before["x"] - 100  # the blocks moved under them
    assert head_after["y"] == pytest.approx(head_before["y"], abs=1)  # the header row stays


def test_a_resident_on_a_phone_reaches_home_shifts_on_call_and_the_schedule(
    demo_live, rostered, page
):
    im, sy, _block = rostered
    base = demo_live.url
    sign_in(page, base, "resident")
    no_sideways_scroll(page)
    page.locator("#attention").wait_for()
    assert page.locator("#panel-my-rotation").is_visible()

    go_by_menu(page, "My shifts", r"/rosters/me/$")
    page.locator("#my-month").wait_for()
    go_by_menu(page, "On call now", r"/rosters/on-call/$")
    page.get_by_role("heading", name="Who is on call now").wait_for()

    page.goto(f"{base}/home/")
    page.locator("#panel-my-rotation a", has_text="My year").tap()
    page.wait_for_url(re.compile(rf"/schedules/{im.slug}/{sy.pk}/$"))
    no_sideways_scroll(page)
    first_column_stays(page, ".sched-wrap", "#grid tbody td.name", "#grid thead th")


def test_a_chief_on_a_phone_works_the_home_page_the_grid_the_roster_and_swaps(
    demo_live, rostered, page
):
    im, sy, block = rostered
    base = demo_live.url
    sign_in(page, base, "chief")
    no_sideways_scroll(page)
    page.locator("#attention").wait_for()

    page.goto(f"{base}/schedules/{im.slug}/{sy.pk}/")
    no_sideways_scroll(page)
    first_column_stays(page, ".sched-wrap", "#grid tbody td.name", "#grid thead th")

    go_by_menu(page, "Rosters", r"/rosters/$")
    page.goto(f"{base}/rosters/{im.slug}/{sy.pk}/{block + 1}/?show=published")
    page.locator("table.service").first.wait_for()
    no_sideways_scroll(page)
    first_column_stays(
        page, ".roster-wrap", "table.service tbody td.name", "table.service thead th"
    )

    # The draft: tapping a name opens the shift editor, which stays in view.
    page.goto(f"{base}/rosters/{im.slug}/{sy.pk}/{block + 1}/")
    page.locator("table.service a.who").first.tap()
    editor = page.locator("#editor")
    editor.get_by_role("button", name="Check").wait_for()
    box = editor.bounding_box()
    assert box is not None and box["y"] < PHONE["height"] and box["width"] <= PHONE["width"]
    no_sideways_scroll(page)

    page.goto(f"{base}/rosters/{im.slug}/swaps/")
    page.get_by_role("heading", name="Swap requests").wait_for()
    no_sideways_scroll(page)
    go_by_menu(page, "On call now", r"/rosters/on-call/$")
