"""The schedule as files: CSV and XLSX of the grid, and a resident's iCalendar feed."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from meded.org.models import Appointment
from meded.schedules.grid import Grid, color, stints
from meded.schedules.models import Rotation, ScheduleVersion, ScheduleYear


def _header(sy: ScheduleYear) -> list[str]:
    return [
        f"Block {b + 1} ({start:%Y-%m-%d} to {end:%Y-%m-%d})" for b, start, end in sy.block_dates()
    ]


def _who(row_appt: Appointment) -> list[str]:
    return [
        row_appt.person.sort_name,
        row_appt.track.code if row_appt.track else "",
    ]


def grid_csv(grid: Grid) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["resident", "track", "pgy", *_header(grid.sy)])
    for row in grid.rows:
        w.writerow(
            [*_who(row.appointment), row.pgy or "", *[r.code if r else "" for r in row.cells]]
        )
    return out.getvalue().encode("utf-8")


def grid_xlsx(grid: Grid) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Schedule"
    ws.append(["Resident", "Track", "PGY", *_header(grid.sy)])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    fills: dict[str, PatternFill] = {}
    for row in grid.rows:
        ws.append([*_who(row.appointment), row.pgy, *[r.code if r else "" for r in row.cells]])
        excel_row = ws.max_row
        for i, rot in enumerate(row.cells):
            if rot is None:
                continue
            hex_ = color(rot.category).lstrip("#").upper()
            fill = fills.setdefault(hex_, PatternFill("solid", start_color=hex_, end_color=hex_))
            ws.cell(row=excel_row, column=4 + i).fill = fill
    ws.column_dimensions["A"].width = 28
    ws.freeze_panes = "D2"
    legend = wb.create_sheet("Rotations")
    legend.append(["Code", "Rotation", "Category", "Site"])
    for rot in grid.rotations.values():
        legend.append([rot.code, rot.name, rot.category, rot.site])
        hex_ = color(rot.category).lstrip("#").upper()
        legend.cell(row=legend.max_row, column=1).fill = PatternFill(
            "solid", start_color=hex_, end_color=hex_
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets are folded (CRLF and one space)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    cur = b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(cur) + len(b) > (75 if not parts else 74):
            parts.append(cur.decode("utf-8"))
            cur = b""
        cur += b
    parts.append(cur.decode("utf-8"))
    return "\r\n ".join(parts)


def ical(
    sy: ScheduleYear,
    version: ScheduleVersion,
    appt: Appointment,
    row: list[Rotation | None],
    host: str = "meded",
) -> bytes:
    """One all-day VEVENT per stint (a run of one rotation) of the resident's row."""
    stamp = (version.published_at or version.created_at or dt.datetime.now(dt.UTC)).astimezone(
        dt.UTC
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//meded//rotation schedule//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(f'{appt.person.full_name}: {sy.program.name} rotations')}",
    ]
    for rot, first, last in stints(sy, row):
        start = sy.block_start(first)
        end = sy.block_end(last) + dt.timedelta(days=1)  # DTEND of a date is exclusive
        lines += [
            "BEGIN:VEVENT",
            f"UID:schedule-{version.pk}-{appt.pk}-{first}@{host}",
            f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
            f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
            f"DTEND;VALUE=DATE:{end:%Y%m%d}",
            f"SUMMARY:{_escape(rot.name)}",
            f"DESCRIPTION:{_escape(f'{rot.name} ({rot.code}), blocks {first + 1}-{last + 1}')}",
            *([f"LOCATION:{_escape(rot.site)}"] if rot.site else []),
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(x) for x in lines) + "\r\n").encode("utf-8")
