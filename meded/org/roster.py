"""The roster file: its columns, reading CSV and XLSX, checking rows against the program, and
writing templates and exports in the same format (so an export re-imports to "no changes").

Reading and checking never write. Checking preloads everything it compares against (tracks,
sites, people by e-mail and external id, the program's trainee appointments and their years) in
a handful of queries, however long the file is. The writes are in meded.org.actions.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils import timezone

from meded.core.spreadsheet import (
    SpreadsheetRefused,
    check_xlsx,
    csv_writer,
    safe_cell,
    unquote_cell,
    xlsx_append,
)
from meded.org.models import AcademicYear, Appointment, Person, Program, Site, Track, TraineeYear

Progress = Callable[[int, int, str], None]

# Lookups of many keys go in chunks (SQLite allows at most 32,766 bound parameters).
CHUNK = 2000


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str
    allowed: str
    example: str
    max_length: int | None = None


COLUMNS: list[Column] = [
    Column(
        "external_id",
        False,
        "The id another system (HR, the match, MedHub) knows the resident by. When given, "
        "it is how the import recognizes someone already on file; otherwise the e-mail is.",
        "Up to 64 characters. Blank keeps the id already on file.",
        "T1000123",
        64,
    ),
    Column(
        "email",
        True,
        "The resident's e-mail address; unique across the whole file.",
        "A valid e-mail address.",
        "jane.doe@example.org",
        254,
    ),
    Column("first_name", True, "Legal first name.", "Up to 100 characters.", "Jane", 100),
    Column("last_name", True, "Legal last name.", "Up to 100 characters.", "Doe", 100),
    Column(
        "preferred_name",
        False,
        "The first name the resident goes by, if different.",
        "Up to 100 characters; may be blank.",
        "Janie",
        100,
    ),
    Column(
        "degrees",
        False,
        "Degrees as they should follow the name.",
        "Up to 60 characters; may be blank.",
        "MD, PhD",
        60,
    ),
    Column(
        "track",
        True,
        "The program track, by its name or code.",
        "One of the program's tracks (listed on the import page).",
        "categorical",
    ),
    Column(
        "pgy",
        True,
        "Postgraduate year in the current academic year (for someone who has not started, "
        "the first year; for someone who has finished, the last).",
        "A whole number within the program's PGY range and the track's clinical years "
        "(a one-year Preliminary track allows PGY 1 only). 'PGY-2' also works.",
        "2",
    ),
    Column(
        "start_date",
        False,
        "First day of the appointment.",
        "YYYY-MM-DD or M/D/YYYY. Blank: July 1 of the year the resident started (from the "
        "PGY), or the date already on file.",
        "2024-07-01",
    ),
    Column(
        "end_date",
        False,
        "Last day of the appointment.",
        "YYYY-MM-DD or M/D/YYYY, after the start date. Blank: the end of the track, or the "
        "date already on file.",
        "2027-06-30",
    ),
    Column(
        "status",
        False,
        "Where the appointment stands.",
        "active, leave, extended, completed or withdrawn. Blank: active for someone new, "
        "unchanged for someone already on file.",
        "active",
    ),
    Column(
        "continuity_site",
        False,
        "The continuity clinic, by site code or name.",
        "A site that offers the resident's track; may be blank.",
        "ima",
        60,
    ),
    Column(
        "medical_school",
        False,
        "The medical school the resident graduated from.",
        "Up to 200 characters; may be blank.",
        "Tufts University",
        200,
    ),
    Column(
        "npi",
        False,
        "National Provider Identifier.",
        "Exactly 10 digits; may be blank.",
        "1234567893",
    ),
]
COLUMN_NAMES = [c.name for c in COLUMNS]
REQUIRED = [c.name for c in COLUMNS if c.required]
BY_NAME = {c.name: c for c in COLUMNS}
ALIASES = {
    "e_mail": "email",
    "email_address": "email",
    "firstname": "first_name",
    "first": "first_name",
    "given_name": "first_name",
    "lastname": "last_name",
    "last": "last_name",
    "surname": "last_name",
    "family_name": "last_name",
    "preferred": "preferred_name",
    "degree": "degrees",
    "pgy_level": "pgy",
    "start": "start_date",
    "end": "end_date",
    "site": "continuity_site",
    "continuity_clinic": "continuity_site",
    "school": "medical_school",
}
STATUS_WORDS = {
    **{s.value: s.value for s in Appointment.Status},
    **{str(s.label).lower(): s.value for s in Appointment.Status},
    "on_leave": Appointment.Status.LEAVE.value,
}


# --- Errors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterError:
    """One problem: the spreadsheet row a person sees (header = row 1; None for the whole
    file), the column, and the reason in plain words."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.column}: {self.message}" if self.column else self.message
        return f"Row {self.row}, {self.column}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class RosterFileError(Exception):
    """The file as a whole cannot be read."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Reading --------------------------------------------------------------------------------


@dataclass
class Table:
    columns: list[str]  # canonical names of the recognized columns, in file order
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, column -> text)
    ignored_columns: list[str] = field(default_factory=list)


def sniff_kind(file_name: str, data: bytes) -> str:
    """'csv' or 'xlsx', from the bytes (the name only breaks ties); RosterFileError when the
    file is neither."""
    head = data[:8]
    name = file_name.lower()
    if not data.strip():
        raise RosterFileError("The file is empty.")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterFileError(
            "This is an old-style Excel file (.xls). Save it as .xlsx or CSV and upload again."
        )
    for magic, what in (
        (b"\x89PNG", "a PNG image"),
        (b"%PDF", "a PDF document"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
    ):
        if head.startswith(magic):
            raise RosterFileError(
                f"This file is {what}, not a spreadsheet. Upload the roster as CSV or XLSX."
            )
    if b"\x00" in data[:4096]:
        raise RosterFileError(
            "This file is not a spreadsheet (it holds binary data). Upload CSV or XLSX."
        )
    if name.endswith(".xlsx"):
        raise RosterFileError(
            "This file is named .xlsx but is not an Excel workbook. Upload CSV or XLSX."
        )
    return "csv"


def normalize_header(text: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    return ALIASES.get(key, key)


def read_table(file_name: str, data: bytes, progress: Progress | None = None) -> Table:
    """The file's rows as text, keyed by canonical column names. RosterFileError when the file
    cannot be read or lacks a required column."""
    kind = sniff_kind(file_name, data)
    raw = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)
    header: list[str] | None = None
    index: dict[str, int] = {}
    ignored: list[str] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in raw:
        if header is None:
            if not any(cells):
                continue
            header = cells
            seen: dict[str, str] = {}
            for i, text in enumerate(cells):
                if not text:
                    continue
                key = normalize_header(text)
                if key not in BY_NAME:
                    ignored.append(text)
                    continue
                if key in seen:
                    raise RosterFileError(
                        f"The header has the column {key} twice ('{seen[key]}' and '{text}')."
                    )
                seen[key] = text
                index[key] = i
            missing = [c for c in REQUIRED if c not in index]
            if missing:
                names = ", ".join(missing)
                plural = "columns" if len(missing) > 1 else "column"
                raise RosterFileError(
                    f"The required {plural} {names} {'are' if len(missing) > 1 else 'is'} "
                    f"missing from the header row (row {number})."
                )
            continue
        if not any(cells):
            continue
        first = next((c for c in cells if c), "")
        if first.startswith("#"):
            continue  # a note row (the CSV template documents its columns this way)
        values = {k: (cells[i] if i < len(cells) else "") for k, i in index.items()}
        rows.append((number, values))
        if progress and len(rows) % 1000 == 0:
            progress(len(rows), 0, f"Reading the file: {len(rows):,} rows")
    if header is None:
        raise RosterFileError("The file is empty: there is no header row.")
    if not rows:
        raise RosterFileError("The file has a header row but no residents.")
    columns = [c for c in COLUMN_NAMES if c in index]
    return Table(columns=columns, rows=rows, ignored_columns=ignored)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError(
        "The file's text could not be read. Save it as 'CSV UTF-8' and upload again."
    )


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [unquote_cell(c.strip()) for c in cells]
    except csv.Error as e:
        raise RosterFileError(f"The CSV file is malformed: {e}.") from e


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unquote_cell(str(value).strip())


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        check_xlsx(data)  # its size and extent, before openpyxl trusts what it declares
    except SpreadsheetRefused as e:
        raise RosterFileError(e.message) from e
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as e:
        raise RosterFileError(
            "This file is not a readable Excel workbook (.xlsx). Upload CSV or XLSX."
        ) from e
    try:
        names = wb.sheetnames
        ws = wb["Roster"] if "Roster" in names else wb[names[0]]
        # Read the cells present, never rows padded to the declared dimension.
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as e:
        raise RosterFileError("The workbook could not be read; it may be damaged.") from e
    finally:
        wb.close()


# --- Checking -------------------------------------------------------------------------------


@dataclass
class RosterRow:
    """One checked row: parsed values and what it matched on file."""

    row: int
    present: frozenset[str]
    external_id: str
    email: str
    first_name: str
    last_name: str
    preferred_name: str
    degrees: str
    track: Track | None
    pgy: int
    start_date: dt.date | None
    end_date: dt.date | None
    status: str
    continuity_site: Site | None
    medical_school: str
    npi: str
    person: Person | None = None
    appointment: Appointment | None = None
    # Filled by the planner: the academic year the PGY belongs to.
    year_start: dt.date | None = None
    year: AcademicYear | None = None
    trainee_year: TraineeYear | None = None


@dataclass
class Checked:
    program: Program
    rows: list[RosterRow]
    errors: list[RosterError]
    ignored_columns: list[str]
    years: dict[dt.date, AcademicYear]


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    raise ValueError(text)


def parse_pgy(text: str) -> int:
    m = re.fullmatch(r"(?:pgy)?[\s-]*(\d{1,2})(?:\.0+)?", text.strip().lower())
    if not m:
        raise ValueError(text)
    return int(m.group(1))


def chunked(values: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    batch: list[str] = []
    for v in values:
        batch.append(v)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def site_offers(
    site: Site, track: Track, listed: dict[int, set[int]], tracks_with_sites: set[int]
) -> bool:
    """A site offers a track it lists (or lists the track's parent). A track no site lists
    (the Physician-Scientist Pathway in the demo) may use any site."""
    keys = {track.pk} | ({track.parent_id} if track.parent_id else set())
    if not keys & tracks_with_sites:
        return True
    return bool(keys & listed.get(site.pk, set()))


def academic_year_start(day: dt.date) -> dt.date:
    return AcademicYear.bounds_for(day)[0]


def roster_day(start: dt.date, end: dt.date | None, today: dt.date) -> dt.date:
    """The day whose academic year a row's PGY belongs to: today, moved into the appointment's
    span (its first day for someone who has not started, its last for someone finished)."""
    day = max(today, start)
    if end is not None:
        day = min(day, end)
    return day


def default_start(program: Program, pgy: int, today: dt.date) -> dt.date:
    year = academic_year_start(today).year - (pgy - program.min_pgy)
    return dt.date(year, 7, 1)


def default_end(program: Program, track: Track | None, start: dt.date) -> dt.date:
    years = track.clinical_years if track else program.max_pgy - program.min_pgy + 1
    first = academic_year_start(start)
    return dt.date(first.year + years, first.month, first.day) - dt.timedelta(days=1)


def pgy_range(program: Program, track: Track | None) -> tuple[int, int]:
    lo, hi = program.min_pgy, program.max_pgy
    if track is not None:
        hi = min(hi, program.min_pgy + track.clinical_years - 1)
    return lo, hi


def check_table(
    program: Program,
    table: Table,
    *,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> Checked:
    """Parse every row, match it to people and appointments on file, and collect every error.
    Queries: tracks, sites (+ their tracks), people by e-mail and by external id (one query per
    2,000 keys), the program's trainee appointments, academic years and this year's PGYs."""
    today = today or timezone.localdate()
    errors: list[RosterError] = []
    present = frozenset(table.columns)
    tracks = list(Track.objects.filter(program=program))
    track_by_key: dict[str, Track] = {}
    for t in tracks:
        track_by_key[t.code.lower()] = t
        track_by_key[t.name.lower()] = t
    sites = list(Site.objects.all())
    site_by_key: dict[str, Site] = {}
    for s in sites:
        site_by_key[s.code.lower()] = s
        site_by_key[s.name.lower()] = s
        if s.short_name:
            site_by_key.setdefault(s.short_name.lower(), s)
    listed: dict[int, set[int]] = {}
    for site_id, track_id in Site.tracks.through.objects.values_list("site_id", "track_id"):
        listed.setdefault(site_id, set()).add(track_id)
    tracks_with_sites = {tid for ids in listed.values() for tid in ids}
    track_names = ", ".join(t.code for t in tracks) or "none"

    rows: list[RosterRow] = []
    total = len(table.rows)
    for i, (number, v) in enumerate(table.rows, start=1):
        row_errors: list[RosterError] = []

        def err(
            column: str,
            message: str,
            number: int = number,
            row_errors: list[RosterError] = row_errors,
        ) -> None:
            row_errors.append(RosterError(number, column, message))

        for name in table.columns:
            limit = BY_NAME[name].max_length
            if limit and len(v[name]) > limit:
                err(name, f"is {len(v[name])} characters long; the most allowed is {limit}")
        email = v["email"].strip().lower()
        if not email:
            err("email", "is required")
        else:
            try:
                validate_email(email)
            except ValidationError:
                err("email", f"'{v['email']}' is not a valid e-mail address")
        for name in ("first_name", "last_name"):
            if not v[name]:
                err(name, "is required")
        track: Track | None = None
        if not v["track"]:
            if tracks:
                err("track", f"is required (tracks of this program: {track_names})")
        else:
            track = track_by_key.get(v["track"].strip().lower())
            if track is None:
                err(
                    "track",
                    f"'{v['track']}' is not a track of {program.name} (tracks: {track_names})",
                )
        pgy = 0
        if not v["pgy"]:
            err("pgy", "is required")
        else:
            try:
                pgy = parse_pgy(v["pgy"])
            except ValueError:
                err("pgy", f"'{v['pgy']}' is not a PGY number")
            else:
                if not program.min_pgy <= pgy <= program.max_pgy:
                    err(
                        "pgy",
                        f"{pgy} is out of range for this program "
                        f"(PGY {program.min_pgy}-{program.max_pgy})",
                    )
                    pgy = 0
                elif track is not None:
                    lo, hi = pgy_range(program, track)
                    if pgy > hi:
                        span = f"PGY {lo} only" if lo == hi else f"PGY {lo}-{hi}"
                        err("pgy", f"{pgy} is out of range for the {track.name} track ({span})")
        dates: dict[str, dt.date | None] = {}
        for name in ("start_date", "end_date"):
            text = v.get(name, "")
            dates[name] = None
            if text:
                try:
                    dates[name] = parse_date(text)
                except ValueError:
                    err(name, f"'{text}' is not a date (use YYYY-MM-DD or M/D/YYYY)")
        status = ""
        if v.get("status"):
            found = STATUS_WORDS.get(v["status"].strip().lower().replace(" ", "_"))
            found = found or STATUS_WORDS.get(v["status"].strip().lower())
            if found is None:
                err(
                    "status",
                    f"'{v['status']}' is not a status (use active, leave, extended, "
                    "completed or withdrawn)",
                )
            else:
                status = found
        site: Site | None = None
        if v.get("continuity_site"):
            site = site_by_key.get(v["continuity_site"].strip().lower())
            if site is None:
                err("continuity_site", f"'{v['continuity_site']}' is not a known site code or name")
            elif track is not None and not site_offers(site, track, listed, tracks_with_sites):
                err("continuity_site", f"{site.name} does not offer the {track.name} track")
        npi = re.sub(r"\s", "", v.get("npi", ""))
        if npi and not re.fullmatch(r"\d{10}", npi):
            err("npi", f"'{v['npi']}' is not an NPI (10 digits)")
        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append(
            RosterRow(
                row=number,
                present=present,
                external_id=v.get("external_id", "").strip(),
                email=email,
                first_name=v["first_name"],
                last_name=v["last_name"],
                preferred_name=v.get("preferred_name", ""),
                degrees=v.get("degrees", ""),
                track=track,
                pgy=pgy,
                start_date=dates["start_date"],
                end_date=dates["end_date"],
                status=status,
                continuity_site=site,
                medical_school=v.get("medical_school", ""),
                npi=npi,
            )
        )
        if progress and i % 2000 == 0:
            progress(i, total, f"Checking rows: {i:,} of {total:,}")

    errors.extend(_check_duplicates(table, rows))
    bad_rows = {e.row for e in errors}
    rows = [r for r in rows if r.row not in bad_rows]
    errors.extend(_match_people(program, rows))
    bad_rows = {e.row for e in errors}
    rows = [r for r in rows if r.row not in bad_rows]
    years = _match_appointments(program, rows, today, errors)
    errors.sort(
        key=lambda e: (e.row or 0, COLUMN_NAMES.index(e.column) if e.column in COLUMN_NAMES else -1)
    )
    return Checked(
        program=program,
        rows=rows,
        errors=errors,
        ignored_columns=table.ignored_columns,
        years=years,
    )


def _check_duplicates(table: Table, rows: list[RosterRow]) -> list[RosterError]:
    """The same e-mail or external id twice in the file (both checked on every row, also on
    rows with other errors, so one pass shows them all)."""
    errors: list[RosterError] = []
    first_email: dict[str, int] = {}
    first_ext: dict[str, int] = {}
    for number, v in table.rows:
        email = v["email"].strip().lower()
        if email:
            if email in first_email:
                errors.append(
                    RosterError(
                        number,
                        "email",
                        f"{email} appears more than once in the file "
                        f"(first on row {first_email[email]})",
                    )
                )
            else:
                first_email[email] = number
        ext = v.get("external_id", "").strip()
        if ext:
            if ext in first_ext:
                errors.append(
                    RosterError(
                        number,
                        "external_id",
                        f"{ext} appears more than once in the file (first on row {first_ext[ext]})",
                    )
                )
            else:
                first_ext[ext] = number
    return errors


def _match_people(program: Program, rows: list[RosterRow]) -> list[RosterError]:
    """Match each row to a person: on external id, else on e-mail. The e-mail may not belong to
    someone else (another person, or one known by a different external id)."""
    errors: list[RosterError] = []
    fields = (
        "id",
        "first_name",
        "last_name",
        "preferred_name",
        "degrees",
        "email",
        "external_id",
        "medical_school",
        "npi",
        "kind",
    )
    by_ext: dict[str, Person] = {}
    for batch in chunked(r.external_id for r in rows if r.external_id):
        for p in Person.objects.filter(external_id__in=batch).only(*fields):
            by_ext[p.external_id or ""] = p
    by_email: dict[str, Person] = {}
    for batch in chunked(r.email for r in rows):
        for p in Person.objects.filter(email__in=batch).only(*fields):
            by_email[(p.email or "").lower()] = p
    claimed: dict[int, int] = {}
    for r in rows:
        person = by_ext.get(r.external_id) if r.external_id else None
        owner = by_email.get(r.email)
        if person is not None:
            if owner is not None and owner.pk != person.pk:
                errors.append(
                    RosterError(
                        r.row,
                        "email",
                        f"{r.email} already belongs to another person on file "
                        f"({owner.full_name}), not to external id {r.external_id}",
                    )
                )
                continue
        elif owner is not None:
            if r.external_id and owner.external_id and owner.external_id != r.external_id:
                errors.append(
                    RosterError(
                        r.row,
                        "email",
                        f"{r.email} already belongs to a person on file with a "
                        f"different external id ({owner.external_id}, not "
                        f"{r.external_id})",
                    )
                )
                continue
            person = owner
        if person is not None:
            if person.pk in claimed:
                errors.append(
                    RosterError(
                        r.row, "email", f"matches the same person as row {claimed[person.pk]}"
                    )
                )
                continue
            claimed[person.pk] = r.row
        r.person = person
    return errors


def _match_appointments(
    program: Program, rows: list[RosterRow], today: dt.date, errors: list[RosterError]
) -> dict[dt.date, AcademicYear]:
    """Each matched person's trainee appointment in the program (the latest), the academic
    year the row's PGY belongs to, and the PGY on file for that year."""
    appts: dict[int, Appointment] = {}
    trainees = Appointment.objects.filter(program=program, kind=Appointment.Kind.TRAINEE)
    for a in trainees.select_related("track", "continuity_site").order_by(
        "person_id", "start_date", "id"
    ):
        appts[a.person_id] = a  # the latest start wins
    years = {y.start_date: y for y in AcademicYear.objects.all()}
    for r in rows:
        if r.person is not None:
            r.appointment = appts.get(r.person.pk)
        start = (
            r.start_date
            or (r.appointment.start_date if r.appointment else None)
            or default_start(program, r.pgy, today)
        )
        end: dt.date | None
        if r.end_date is not None:
            end = r.end_date
        elif r.appointment is not None:
            end = r.appointment.end_date
        else:
            end = default_end(program, r.track, start)
        if end is not None and end <= start:
            column = "end_date" if r.end_date else "start_date"
            errors.append(
                RosterError(
                    r.row,
                    column,
                    f"the end date {end.isoformat()} is not after the start date "
                    f"{start.isoformat()}",
                )
            )
            continue
        r.start_date, r.end_date = start, end
        r.year_start = academic_year_start(roster_day(start, end, today))
        r.year = years.get(r.year_start)
    bad_rows = {e.row for e in errors}
    rows[:] = [r for r in rows if r.row not in bad_rows]
    wanted_years = {r.year.pk for r in rows if r.year is not None and r.appointment is not None}
    held: dict[tuple[int, int], TraineeYear] = {}
    if wanted_years:
        for ty in TraineeYear.objects.filter(
            appointment__program=program, academic_year_id__in=wanted_years
        ):
            held[(ty.appointment_id, ty.academic_year_id)] = ty
    for r in rows:
        if r.appointment is not None and r.year is not None:
            r.trainee_year = held.get((r.appointment.pk, r.year.pk))
    return years


# --- Writing --------------------------------------------------------------------------------


def export_rows(program: Program, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The program's roster in file form: every trainee appointment that has not ended before
    the current academic year began (one per person, the latest), sorted by name. The PGY is
    the one held in the row's academic year (see roster_day)."""
    today = today or timezone.localdate()
    year_start = academic_year_start(today)
    appts = (
        Appointment.objects.filter(program=program, kind=Appointment.Kind.TRAINEE)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=year_start))
        .select_related("person", "track", "continuity_site")
        .order_by("person_id", "start_date", "id")
    )
    latest: dict[int, Appointment] = {}
    for a in appts:
        latest[a.person_id] = a
    years = {y.pk: y.start_date for y in AcademicYear.objects.all()}
    pgys: dict[tuple[int, dt.date], int] = {}
    for appt_id, year_id, pgy in TraineeYear.objects.filter(
        appointment__program=program, appointment__kind=Appointment.Kind.TRAINEE
    ).values_list("appointment_id", "academic_year_id", "pgy"):
        pgys[(appt_id, years[year_id])] = pgy
    out = []
    for a in sorted(
        latest.values(),
        key=lambda a: (a.person.last_name.lower(), a.person.first_name.lower(), a.person_id),
    ):
        p = a.person
        target = academic_year_start(roster_day(a.start_date, a.end_date, today))
        held = pgys.get((a.pk, target))
        if held is None:  # no PGY on file for that year: count from the start
            pgy = program.min_pgy + (target.year - academic_year_start(a.start_date).year)
            pgy = max(program.min_pgy, min(program.max_pgy, pgy))
        else:
            pgy = held
        out.append(
            {
                "external_id": p.external_id or "",
                "email": p.email or "",
                "first_name": p.first_name,
                "last_name": p.last_name,
                "preferred_name": p.preferred_name,
                "degrees": p.degrees,
                "track": a.track.code if a.track else "",
                "pgy": pgy,
                "start_date": a.start_date,
                "end_date": a.end_date,
                "status": a.status,
                "continuity_site": a.continuity_site.code if a.continuity_site else "",
                "medical_school": p.medical_school,
                "npi": p.npi,
            }
        )
    return out


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def write_csv(rows: Iterable[dict[str, Any]], notes: bool = False) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens accents right; the import reads both."""
    buf = io.StringIO(newline="")
    w = csv_writer(buf, lineterminator="\r\n")  # text that looks like a formula is quoted
    w.writerow(COLUMN_NAMES)
    if notes:
        for c in COLUMNS:
            need = "required" if c.required else "optional"
            w.writerow(
                [f"# {c.name} ({need}): {c.description} Allowed: {c.allowed} Example: {c.example}"]
            )
    for r in rows:
        w.writerow([_csv_value(r.get(c)) for c in COLUMN_NAMES])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_xlsx(
    rows: Iterable[dict[str, Any]], program: Program | None = None, columns_sheet: bool = True
) -> bytes:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Roster")
    bold = Font(bold=True)
    header = []
    for name in COLUMN_NAMES:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for r in rows:
        out: list[Any] = []
        for name in COLUMN_NAMES:
            value = r.get(name)
            if isinstance(value, dt.date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd"
                out.append(cell)
            else:
                # Text that looks like a formula is quoted, so it is never one.
                out.append("" if value is None else safe_cell(value))
        ws.append(out)
    if columns_sheet:
        doc = wb.create_sheet("Columns")
        doc.append(
            [
                WriteOnlyCell(doc, value=h)
                for h in ("Column", "Required", "What it is", "Allowed values", "Example")
            ]
        )
        for c in COLUMNS:
            allowed = c.allowed
            if c.name == "track" and program is not None:
                names = ", ".join(f"{t.code} ({t.name})" for t in program.tracks.all())
                allowed = f"{allowed} Tracks: {names}."
            if c.name == "pgy" and program is not None:
                allowed = f"{allowed} This program: PGY {program.min_pgy}-{program.max_pgy}."
            xlsx_append(
                doc, [c.name, "yes" if c.required else "no", c.description, allowed, c.example]
            )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
