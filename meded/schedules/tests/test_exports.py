from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from meded.org.models import Appointment, Person, Track
from meded.schedules.actions import do_publish
from meded.schedules.exports import grid_pdf
from meded.schedules.grid import COLORS, Grid, Row, build_grid
from meded.schedules.models import Assignment, ScheduleVersion


def unfold(text: str) -> list[str]:
    """RFC 5545 3.1: CRLF line ends; a line starting with a space or tab continues the last."""
    assert "\n" not in text.replace("\r\n", ""), "bare LF"
    lines: list[str] = []
    for raw in text.split("\r\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def parse_ical(text: str) -> list[dict[str, str]]:
    """VEVENTs as {NAME: value} (parameters dropped), checking BEGIN/END nesting."""
    for raw in text.split("\r\n"):
        assert len(raw.encode()) <= 75, f"unfolded long line: {raw!r}"
    events: list[dict[str, str]] = []
    stack: list[str] = []
    for line in unfold(text):
        name, _, value = line.partition(":")
        name = name.split(";")[0].upper()
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append({})
        elif name == "END":
            assert stack.pop() == value
        elif stack and stack[-1] == "VEVENT":
            events[-1][name] = value
    assert not stack
    return events


def _date(value: str) -> dt.date:
    return dt.datetime.strptime(value, "%Y%m%d").date()


def test_the_ical_feed_of_a_resident_parses_with_one_all_day_event_per_stint(
    as_user, solved, users
):
    do_publish(users["chief"], solved)
    sy = solved.schedule_year
    r = as_user("resident").get(f"/schedules/{sy.program.slug}/{sy.pk}/calendar.ics")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    text = r.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and "VERSION:2.0" in text
    events = parse_ical(text)
    cells = (
        Assignment.objects.filter(version=solved, appointment__person__user__username="resident")
        .select_related("rotation")
        .order_by("block")
    )
    covered = set()
    for ev in events:
        start, end = _date(ev["DTSTART"]), _date(ev["DTEND"])
        assert {"UID", "DTSTAMP", "SUMMARY"} <= ev.keys()
        assert (end - start).days % sy.block_days == 0 and end > start
        first = (start - sy.start_date).days // sy.block_days
        last = (end - sy.start_date).days // sy.block_days - 1
        covered |= set(range(first, last + 1))
        assert {c.rotation.name.replace(",", "\\,") for c in cells if first <= c.block <= last} == {
            ev["SUMMARY"]
        }
    assert covered == {c.block for c in cells}
    assert len(events) < len(cells)  # stints, not blocks: multi-block rotations are one event
    assert len({e["UID"] for e in events}) == len(events)


def test_the_xlsx_opens_with_residents_by_blocks_with_dates_codes_and_colors(as_user, solved):
    sy = solved.schedule_year
    r = as_user("coordinator").get(
        f"/schedules/{sy.program.slug}/{sy.pk}/schedule.xlsx?v={solved.pk}"
    )
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["Schedule"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Resident", "Track", "PGY"]
    assert header[3] == f"Block 1 ({sy.start_date:%Y-%m-%d} to {sy.block_end(0):%Y-%m-%d})"
    assert len(header) == 3 + sy.n_blocks
    n_rows = solved.assignments.values("appointment").distinct().count()
    assert ws.max_row == 1 + n_rows
    codes = {c.value for row in ws.iter_rows(min_row=2, min_col=4) for c in row}
    assert {"micu", "acr", "vacation"} <= codes
    micu = next(c for row in ws.iter_rows(min_row=2, min_col=4) for c in row if c.value == "micu")
    assert micu.fill.start_color.rgb.endswith(COLORS["icu"].lstrip("#").upper())


def test_the_csv_has_a_row_per_resident_and_a_column_per_block(as_user, solved):
    sy = solved.schedule_year
    r = as_user("chief").get(f"/schedules/{sy.program.slug}/{sy.pk}/schedule.csv?v={solved.pk}")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert len(rows[0]) == 3 + sy.n_blocks
    cell = solved.assignments.select_related("appointment__person", "rotation").first()
    row = next(x for x in rows if x[0] == cell.appointment.person.sort_name)
    assert row[3 + cell.block] == cell.rotation.code


# --- PDF ------------------------------------------------------------------------------------


def _pdf_text(content: bytes) -> tuple[PdfReader, list[str]]:
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return reader, [page.extract_text() for page in reader.pages]


def _pdf_url(version: ScheduleVersion) -> str:
    sy = version.schedule_year
    return f"/schedules/{sy.program.slug}/{sy.pk}/schedule.pdf?v={version.pk}"


def test_the_pdf_is_a_landscape_grid_with_codes_dates_and_a_legend(as_user, solved):
    sy = solved.schedule_year
    r = as_user("coordinator").get(_pdf_url(solved))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].endswith('-v1.pdf"')
    reader, pages = _pdf_text(r.content)
    box = reader.pages[0].mediabox
    assert box.width > box.height  # landscape
    text = "\n".join(pages)
    assert sy.program.name in text and "Version 1 (Solved)" in text and "Draft" in text
    assert "printed" in text and f"Page 1 of {len(pages)}" in text
    assert f"{sy.start_date:%m/%d}" in pages[0]  # block dates in the header
    cell = (
        Assignment.objects.filter(version=solved, appointment__person__user__username="resident")
        .select_related("appointment__person", "rotation")
        .first()
    )
    assert cell is not None
    assert cell.appointment.person.sort_name in text
    assert cell.rotation.code in text
    assert "Rotations" in text  # the legend: every code with its name
    legend = text[text.rindex("Rotations") :]
    for rot in sy.program.rotations.all():
        assert rot.code in legend and rot.name in legend
    assert "PGY-1" in text and "PGY-2" in text


def test_a_pdf_of_two_hundred_residents_runs_to_pages_that_each_repeat_the_block_header(solved):
    sy = solved.schedule_year
    small = build_grid(sy, solved)
    rotations = list(small.rotations.values())
    track = Track(code="categorical", name="Categorical")
    rows = [
        Row(
            Appointment(pk=10_000 + i, person=Person(first_name=f"R{i}", last_name="Zeta")),
            1 + i % 3,
            [rotations[(i + b) % len(rotations)] for b in sy.blocks],
        )
        for i in range(200)
    ]
    for row in rows:
        row.appointment.track = track
    groups: list[tuple[int | None, list[Row]]] = [
        (p, [r for r in rows if r.pgy == p]) for p in (1, 2, 3)
    ]
    big = Grid(sy, solved, small.rotations, groups=groups)
    printed = timezone.now()
    _, pages = _pdf_text(grid_pdf(big, printed))
    assert len(pages) > 4
    for n, page in enumerate(pages, start=1):
        assert f"Page {n} of {len(pages)}" in page
        assert "rotation schedule" in page
    for page in pages[:-1]:  # the grid's pages (the legend may have the last to itself)
        assert "Resident" in page and f"{sy.start_date:%m/%d}" in page
    text = "\n".join(pages)
    assert "Zeta, R0" in text and "Zeta, R199" in text
    assert f"printed {timezone.localtime(printed):%Y-%m-%d %H:%M}" in text


def test_names_outside_the_pdf_fonts_code_page_lose_their_accents_not_the_export(solved):
    sy = solved.schedule_year
    small = build_grid(sy, solved)
    row = small.rows[0]
    row.appointment.person.last_name = "Łukasiewicz-Nguyễn"
    _, pages = _pdf_text(grid_pdf(small, timezone.now()))
    assert "Lukasiewicz-Nguyen" in "\n".join(pages)


def test_residents_and_faculty_get_the_pdf_of_the_published_version_only(as_user, solved, users):
    url = _pdf_url(solved)
    assert as_user("resident").get(url).status_code == 404
    assert as_user("faculty").get(url).status_code == 404
    do_publish(users["chief"], solved)
    for who in ("resident", "faculty"):
        r = as_user(who).get(url)
        assert r.status_code == 200 and r.content.startswith(b"%PDF-")
        assert "Published" in _pdf_text(r.content)[1][0]


@pytest.mark.parametrize("who", ["outsider", "surgery-coordinator"])
def test_outsiders_and_other_programs_get_no_pdf(as_user, solved, users, who):
    do_publish(users["chief"], solved)
    assert as_user(who).get(_pdf_url(solved)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in_for_the_pdf(as_user, solved):
    r = as_user(None).get(_pdf_url(solved))
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_the_year_page_links_the_pdf_beside_the_csv_and_xlsx(as_user, solved):
    sy = solved.schedule_year
    body = as_user("coordinator").get(f"/schedules/{sy.program.slug}/{sy.pk}/").content.decode()
    assert f'href="{_pdf_url(solved)}"' in body.replace("&amp;", "&")
    assert "schedule.csv" in body and "schedule.xlsx" in body
