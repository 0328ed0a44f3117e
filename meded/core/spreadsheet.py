"""Spreadsheets in and out, safely: every CSV and XLSX export writes its cells through
`safe_cell` (or the writers below), and every XLSX upload is looked at by `check_xlsx` before
openpyxl parses it.

Exports. A spreadsheet runs a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some programs, a tab or a carriage return) as a formula: a name such as
``=HYPERLINK("http://evil.example", "click")`` in a roster would become a live link, or worse
(CSV or formula injection). Such text is written with a leading apostrophe, the usual
defence: every spreadsheet shows it as plain text, and `unquote_cell` takes the apostrophe
off again when a file that meded wrote comes back as an import. Numbers and dates are written
as what they are (a negative number is a number, not a formula); only text is quoted. In XLSX
the quoted text is a string cell, so no exported cell is ever a formula.

Uploads. An XLSX file is a zip of XML; openpyxl trusts what it declares. A 1.5 KB file with
one cell at XFD1048576 declares a sheet of 17 billion cells, and openpyxl pads every row to
the declared width; a zip bomb inflates to gigabytes. `check_xlsx` refuses, before parsing:
more uncompressed bytes than ``MEDED_MAX_XLSX_UNCOMPRESSED_BYTES``, a member that inflates
more than ``MEDED_MAX_XLSX_COMPRESSION_RATIO`` times, a sheet that declares or holds a cell
beyond ``MEDED_MAX_XLSX_ROWS`` / ``MEDED_MAX_XLSX_COLUMNS``, or more than
``MEDED_MAX_XLSX_CELLS`` cells."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from defusedxml.ElementTree import iterparse
from django.conf import settings

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` as an export writes it: text a spreadsheet would run as a formula gets a
    leading apostrophe; anything else (numbers, dates, None, other text) is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def unquote_cell(text: str) -> str:
    """Undo `safe_cell` on text read back from a file: the apostrophe it added goes, any other
    apostrophe stays. (An XLSX reads a carriage return back as a line feed, so an apostrophe
    before a line feed is taken to be one `safe_cell` added too.)"""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith((*FORMULA_START, "\n")):
        return text[1:]
    return text


class SafeCsvWriter:
    """csv.writer whose rows go through `safe_cell`."""

    def __init__(self, f: IO[str], **kwargs: Any) -> None:
        self._writer = csv.writer(f, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(f: IO[str], **kwargs: Any) -> SafeCsvWriter:
    return SafeCsvWriter(f, **kwargs)


def xlsx_append(ws: Any, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl worksheet (normal or write-only) through `safe_cell`."""
    ws.append(safe_row(values))


# --- Uploads ---------------------------------------------------------------------------------


class SpreadsheetRefused(ValueError):
    """An upload refused before parsing, with the reason in words a coordinator can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class XlsxLimits:
    uncompressed_bytes: int
    compression_ratio: int
    rows: int
    columns: int
    cells: int

    @classmethod
    def from_settings(cls) -> XlsxLimits:
        return cls(
            uncompressed_bytes=settings.MEDED_MAX_XLSX_UNCOMPRESSED_BYTES,
            compression_ratio=settings.MEDED_MAX_XLSX_COMPRESSION_RATIO,
            rows=settings.MEDED_MAX_XLSX_ROWS,
            columns=settings.MEDED_MAX_XLSX_COLUMNS,
            cells=settings.MEDED_MAX_XLSX_CELLS,
        )


# Below this size a member's compression ratio says nothing (a small sheet of repeated
# values compresses well and costs nothing to inflate).
RATIO_FLOOR_BYTES = 1024 * 1024
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_SHEET = re.compile(r"xl/worksheets/[^/]+\.xml")


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _ref(text: str) -> tuple[int, int] | None:
    """(row, column) of a reference such as 'XFD1048576', None when it is not one."""
    m = _REF.fullmatch(text.strip())
    return (int(m[2]), _column_number(m[1])) if m else None


def _mb(n: int) -> str:
    return f"{n / 1_048_576:.0f} MB" if n >= 1_048_576 else f"{n:,} bytes"


def check_xlsx(data: bytes, limits: XlsxLimits | None = None, *, scan_cells: bool = True) -> None:
    """Refuse (SpreadsheetRefused) a workbook whose size or sheets exceed `limits` (the
    settings by default), reading only the zip's directory and, with `scan_cells`, streaming
    each sheet's XML once (bounded by the size limit) for the cells it holds. A file that is
    not a zip is left to the parser, which reports it."""
    lim = limits or XlsxLimits.from_settings()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    with archive:
        infos = archive.infolist()
        total = sum(i.file_size for i in infos)
        if total > lim.uncompressed_bytes:
            raise SpreadsheetRefused(
                f"The workbook unpacks to {_mb(total)}; the most allowed is "
                f"{_mb(lim.uncompressed_bytes)}. Save only the roster sheet, or upload CSV."
            )
        for info in infos:
            if info.file_size > RATIO_FLOOR_BYTES and info.file_size > lim.compression_ratio * max(
                info.compress_size, 1
            ):
                raise SpreadsheetRefused(
                    f"The workbook's part {info.filename} inflates "
                    f"{info.file_size // max(info.compress_size, 1):,} times; that is not an "
                    "ordinary spreadsheet. Save it again from Excel, or upload CSV."
                )
        sheets = [i for i in infos if _SHEET.fullmatch(i.filename)]
        cells = 0
        for info in sheets:
            cells += _check_sheet(archive, info, lim, cells, scan_cells)


def _too_big(what: str, rows: int, columns: int, lim: XlsxLimits) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        f"The workbook {what} row {rows:,}, column {columns:,}; the most allowed is "
        f"{lim.rows:,} rows and {lim.columns:,} columns. Delete the empty rows and columns "
        "after the roster (or copy the roster into a new workbook) and upload again."
    )


def _check_sheet(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, lim: XlsxLimits, before: int, scan: bool
) -> int:
    """The number of cells in one sheet, after checking its declared and actual extent. Cells
    and rows without a reference count on from the one before, as spreadsheets read them."""
    cells = row_number = column = 0
    sheet_data = None
    with archive.open(info) as f:
        for event, el in _events(f):
            tag = el.tag.rsplit("}", 1)[-1]
            if event == "end":
                if tag == "row" and sheet_data is not None:
                    sheet_data.clear()  # rows already checked: keep memory flat
                continue
            if tag == "dimension":
                end = _ref(str(el.get("ref") or "").split(":")[-1])
                if end is not None and (end[0] > lim.rows or end[1] > lim.columns):
                    raise _too_big("declares a sheet that reaches", end[0], end[1], lim)
            elif tag == "sheetData":
                if not scan:
                    return 0
                sheet_data = el
            elif tag == "row":
                r = str(el.get("r") or "")
                row_number = int(r) if r.isascii() and r.isdigit() else row_number + 1
                column = 0
                if row_number > lim.rows:
                    raise _too_big("has a row at", row_number, 1, lim)
            elif tag == "c":
                cells += 1
                ref = _ref(str(el.get("r") or ""))
                row, column = ref if ref else (row_number, column + 1)
                if row > lim.rows or column > lim.columns:
                    raise _too_big("has a cell at", row, column, lim)
                if before + cells > lim.cells:
                    raise SpreadsheetRefused(
                        f"The workbook holds more than {lim.cells:,} cells, the most allowed. "
                        "Upload the roster sheet alone, or as CSV."
                    )
    return cells


def _events(f: IO[bytes]) -> Iterator[tuple[str, Any]]:
    """The parser's start and end events; XML that does not parse (or declares a DTD or
    entities) is refused as damaged."""
    try:
        yield from iterparse(f, events=("start", "end"), forbid_dtd=True)
    except (ParseError, ValueError) as e:  # defusedxml's refusals are ValueErrors
        raise SpreadsheetRefused(
            "The workbook could not be read; it may be damaged. Save it again, or upload CSV."
        ) from e
