from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from meded.schedules.actions import do_publish
from meded.schedules.grid import COLORS
from meded.schedules.models import Assignment


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
