"""The schedule as files: CSV, XLSX and a printable PDF of the grid, and a resident's
iCalendar file."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from meded.calendars import ical as calendar_ical
from meded.core.spreadsheet import csv_writer, xlsx_append
from meded.org.models import Appointment
from meded.schedules.calendar import rotation_events
from meded.schedules.grid import Grid, Row, color
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
    w = csv_writer(out)  # text that looks like a formula is quoted
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
    xlsx_append(ws, ["Resident", "Track", "PGY", *_header(grid.sy)])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    fills: dict[str, PatternFill] = {}
    for row in grid.rows:
        xlsx_append(
            ws, [*_who(row.appointment), row.pgy, *[r.code if r else "" for r in row.cells]]
        )
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
    xlsx_append(legend, ["Code", "Rotation", "Category", "Site"])
    for rot in grid.rotations.values():
        xlsx_append(legend, [rot.code, rot.name, rot.category, rot.site])
        hex_ = color(rot.category).lstrip("#").upper()
        legend.cell(row=legend.max_row, column=1).fill = PatternFill(
            "solid", start_color=hex_, end_color=hex_
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ical(
    sy: ScheduleYear,
    version: ScheduleVersion,
    appt: Appointment,
    row: list[Rotation | None],
    host: str = "meded",
) -> bytes:
    """A resident's row of one version as iCalendar: one all-day event per stint (a run of
    one rotation), with the same events and UIDs as the person's subscription feed
    (meded.calendars). ``host`` is kept for callers; UIDs no longer depend on it."""
    stamp = version.published_at or version.created_at or dt.datetime.now(dt.UTC)
    return calendar_ical.render(
        rotation_events(appt.person_id, sy, version, row),
        name=f"{appt.person.full_name}: {sy.program.name} rotations",
        stamp=stamp,
    )


# --- PDF ------------------------------------------------------------------------------------

PDF_MARGIN = 8.0  # mm
PDF_NAME_W = 42.0
PDF_TRACK_W = 16.0
PDF_ROW_H = 4.2
PDF_HEAD_H = 9.0
PDF_GROUP_H = 4.6
PDF_LINE = (170, 170, 170)
PDF_MUTED = (110, 110, 110)
# Letters that have no decomposition into a base letter and an accent.
_PDF_PLAIN = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i"})


def _pdf_text(text: str) -> str:
    """Text the PDF's built-in fonts can show (Windows-1252): accents kept where the code page
    has them, otherwise the letter without its accent, otherwise "?"."""
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text.translate(_PDF_PLAIN):
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            try:
                base.encode("cp1252")
                out.append(base or "?")
            except UnicodeEncodeError:
                out.append("?")
    return "".join(out)


def _rgb(hex_: str) -> tuple[int, int, int]:
    h = hex_.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class _SchedulePDF(FPDF):
    """Letter landscape; every page has the title lines and page numbers, and while the grid
    is being drawn, its header row of blocks."""

    def __init__(self, grid: Grid, printed_at: dt.datetime) -> None:
        super().__init__(orientation="landscape", unit="mm", format="letter")
        self.core_fonts_encoding = "windows-1252"
        self.grid = grid
        self.printed_at = timezone.localtime(printed_at)
        self.grid_header = False
        self.set_margins(PDF_MARGIN, PDF_MARGIN, PDF_MARGIN)
        self.set_auto_page_break(False)
        self.set_line_width(0.1)
        self.block_w = (self.epw - PDF_NAME_W - PDF_TRACK_W) / max(1, grid.sy.n_blocks)
        self._fit: dict[tuple[str, float], tuple[float, list[str]]] = {}

    # Page furniture -------------------------------------------------------------------------

    def title_lines(self) -> tuple[str, str]:
        sy, v = self.grid.sy, self.grid.version
        assert v is not None
        title = f"{sy.program.name}: rotation schedule {sy.academic_year}"
        state = v.get_status_display()
        if v.is_published and v.published_at:
            state += f" {timezone.localtime(v.published_at):%Y-%m-%d}"
        label = f" ({v.label})" if v.label else ""
        printed = f"{self.printed_at:%Y-%m-%d %H:%M} {self.printed_at.tzname()}"
        sub = (
            f"Version {v.number}{label} - {state} - {sy.n_blocks} blocks of {sy.block_days} days"
            f" from {sy.start_date:%Y-%m-%d} - printed {printed}"
        )
        return _pdf_text(title), _pdf_text(sub)

    def header(self) -> None:
        title, sub = self.title_lines()
        self.set_text_color(0, 0, 0)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "", 7.5)
        self.set_text_color(*PDF_MUTED)
        self.cell(0, 4, sub, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.ln(1.5)
        if self.grid_header:
            self.table_header()

    def footer(self) -> None:
        self.set_y(-PDF_MARGIN)
        self.set_font("Helvetica", "", 7)
        self.set_text_color(*PDF_MUTED)
        v = self.grid.version
        assert v is not None
        left = f"{self.grid.sy.program.name} - version {v.number} ({v.get_status_display()})"
        self.cell(self.epw / 2, 4, _pdf_text(left))
        self.cell(self.epw / 2, 4, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    def table_header(self) -> None:
        x, y = self.l_margin, self.get_y()
        self.set_draw_color(*PDF_LINE)
        self.set_fill_color(235, 238, 243)
        self.set_font("Helvetica", "B", 7)
        self.rect(x, y, PDF_NAME_W, PDF_HEAD_H, style="DF")
        self.rect(x + PDF_NAME_W, y, PDF_TRACK_W, PDF_HEAD_H, style="DF")
        self.set_xy(x, y + PDF_HEAD_H - 4.5)
        self.cell(PDF_NAME_W, 4, "Resident")
        self.cell(PDF_TRACK_W, 4, "Track")
        bx = x + PDF_NAME_W + PDF_TRACK_W
        for b, start, end in self.grid.sy.block_dates():
            left = bx + b * self.block_w
            self.rect(left, y, self.block_w, PDF_HEAD_H, style="DF")
            self.set_font("Helvetica", "B", 6.5)
            self.set_xy(left, y + 0.4)
            self.cell(self.block_w, 2.9, str(b + 1), align="C")
            self.set_font("Helvetica", "", 4.6)
            self.set_xy(left, y + 3.3)
            self.cell(self.block_w, 2.6, f"{start:%m/%d}", align="C")
            self.set_xy(left, y + 5.9)
            self.cell(self.block_w, 2.6, f"–{end:%m/%d}", align="C")
        self.set_xy(x, y + PDF_HEAD_H)

    # Grid -----------------------------------------------------------------------------------

    def fit(self, text: str, width: float) -> tuple[float, list[str]]:
        """The font size and lines (one, or two split at "_" or "-") at which ``text`` fits
        ``width``: the largest one-line size down to 4.4 pt, then two lines down to 3.4 pt,
        and only then one line cut short."""
        key = (text, width)
        cached = self._fit.get(key)
        if cached is not None:
            return cached
        room = width - 0.6

        def widest(lines: list[str], size: float) -> float:
            self.set_font("Helvetica", "", size)
            return max(self.get_string_width(line) for line in lines)

        found: tuple[float, list[str]] | None = None
        for tenths in range(60, 43, -4):
            if widest([text], tenths / 10) <= room:
                found = (tenths / 10, [text])
                break
        if found is None and len(text) > 1:
            cuts = [i + 1 for i, ch in enumerate(text[:-1]) if ch in "_-"] or [len(text) // 2]
            cut = min(cuts, key=lambda i: abs(len(text) - 2 * i))
            lines = [text[:cut], text[cut:]]
            for tenths in range(50, 33, -2):
                if widest(lines, tenths / 10) <= room:
                    found = (tenths / 10, lines)
                    break
        if found is None:
            shown = text
            while len(shown) > 1 and widest([shown], 3.6) > room:
                shown = shown[:-1]
            found = (3.6, [shown])
        self._fit[key] = found
        return found

    def fitted_cell(
        self, width: float, height: float, text: str, *, fill: bool, align: str = "C"
    ) -> None:
        """A bordered cell with ``text`` in it, on one line or two."""
        x, y = self.get_x(), self.get_y()
        size, lines = self.fit(text, width)
        self.cell(width, height, "", border=1, fill=fill)
        self.set_font("Helvetica", "", size)
        line_h = height if len(lines) == 1 else size * 0.3528 * 1.08
        top = y + (height - line_h * len(lines)) / 2
        for i, line in enumerate(lines):
            self.set_xy(x, top + i * line_h)
            self.cell(width, line_h, line, align=align)
        self.set_xy(x + width, y)

    def ensure_room(self, height: float) -> None:
        if self.get_y() + height > self.h - PDF_MARGIN - 5:
            self.add_page()

    def group_row(self, pgy: int | None, n: int) -> None:
        self.ensure_room(PDF_GROUP_H + PDF_ROW_H)  # never a group title alone at a page's foot
        self.set_fill_color(222, 226, 232)
        self.set_draw_color(*PDF_LINE)
        self.set_font("Helvetica", "B", 7)
        label = f"PGY-{pgy if pgy is not None else '?'} ({n} resident{'s' if n != 1 else ''})"
        self.cell(self.epw, PDF_GROUP_H, label, border=1, fill=True)
        self.ln(PDF_GROUP_H)

    def resident_row(self, row: Row) -> None:
        self.ensure_room(PDF_ROW_H)
        appt = row.appointment
        self.set_draw_color(*PDF_LINE)
        self.set_font("Helvetica", "", 6.5)
        name = _pdf_text(appt.person.sort_name)
        while len(name) > 1 and self.get_string_width(name) > PDF_NAME_W - 1:
            name = name[:-1]
        self.cell(PDF_NAME_W, PDF_ROW_H, name, border=1)
        self.set_font("Helvetica", "", 6)
        track = _pdf_text(appt.track.code if appt.track else "")
        self.fitted_cell(PDF_TRACK_W, PDF_ROW_H, track, fill=False, align="L")
        off: frozenset[int] = getattr(row, "off", frozenset())
        for b, rot in enumerate(row.cells):
            if rot is None:
                self.set_text_color(*PDF_MUTED)
                self.set_font("Helvetica", "", 5)
                text = "off" if b in off else ""
                self.cell(self.block_w, PDF_ROW_H, text, border=1, align="C")
                self.set_text_color(0, 0, 0)
                continue
            self.set_fill_color(*_rgb(color(rot.category)))
            self.fitted_cell(self.block_w, PDF_ROW_H, _pdf_text(rot.code), fill=True)
        self.ln(PDF_ROW_H)

    # Legend ---------------------------------------------------------------------------------

    def legend(self) -> None:
        """Code, colour, name, category and site of every rotation, in balanced columns."""
        rotations = sorted(self.grid.rotations.values(), key=lambda r: (r.sort_order, r.code))
        columns, line_h, swatch = 2, 4.2, 24.0
        col_w = self.epw / columns
        bottom = self.h - PDF_MARGIN - 5
        if self.get_y() + 10 + 4 * line_h > bottom:
            self.add_page()
        else:
            self.ln(4)
        self.set_font("Helvetica", "B", 9)
        self.cell(0, 5, "Rotations", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        remaining = rotations
        while remaining:
            top = self.get_y()
            per_col = min(max(1, int((bottom - top) // line_h)), -(-len(remaining) // columns))
            chunk, remaining = remaining[: per_col * columns], remaining[per_col * columns :]
            for i, rot in enumerate(chunk):
                col, r = divmod(i, per_col)
                x, y = self.l_margin + col * col_w, top + r * line_h
                self.set_fill_color(*_rgb(color(rot.category)))
                self.set_draw_color(*PDF_LINE)
                self.set_xy(x, y)
                self.fitted_cell(swatch, line_h, _pdf_text(rot.code), fill=True)
                self.set_font("Helvetica", "", 6.5)
                site = f", {rot.site}" if rot.site else ""
                what = _pdf_text(f"{rot.name} ({rot.get_category_display()}{site})")
                while len(what) > 1 and self.get_string_width(what) > col_w - swatch - 3:
                    what = what[:-1]
                self.cell(col_w - swatch - 1, line_h, what)
            self.set_xy(self.l_margin, top + per_col * line_h)
            if remaining:
                self.add_page()


def grid_pdf(grid: Grid, printed_at: dt.datetime) -> bytes:
    """A printable grid of one version: residents by PGY down, blocks across (numbers and
    dates in a header row repeated on every page), rotation codes in their category colours,
    then a legend of the codes. ``printed_at`` is aware; it is shown in local time."""
    if grid.version is None:
        raise ValueError("a PDF is of one version")
    pdf = _SchedulePDF(grid, printed_at)
    sy, v = grid.sy, grid.version
    pdf.set_title(_pdf_text(f"{sy.program.name} rotation schedule {sy.academic_year}"))
    pdf.set_subject(_pdf_text(f"Version {v.number} ({v.get_status_display()})"))
    pdf.set_creator("meded")
    pdf.set_creation_date(printed_at)
    pdf.grid_header = True
    pdf.add_page()
    for pgy, rows in grid.groups:
        pdf.group_row(pgy, len(rows))
        for row in rows:
            pdf.resident_row(row)
    if not grid.groups:
        pdf.set_font("Helvetica", "I", 8)
        pdf.cell(0, 6, "No residents on the roster for this year.")
        pdf.ln(6)
    pdf.grid_header = False
    pdf.legend()
    return bytes(pdf.output())
