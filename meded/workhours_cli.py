"""`meded check-hours`: the ACGME work-hour checker (meded.engine.workhours) on CSV files.

Pure Python: no Django setup and no database, so it runs anywhere in well under a second.

    meded check-hours INTERVALS.csv [--rotations ROTATIONS.csv] [--pgy PERSON=N ...]
                      [--rules ACGME-CPR-2023v3|ACGME-CPR-2011] [--exception-hours 88]
                      [--tz America/New_York] [--json]

Exit status: 0 when the check ran, whatever it found; 2 on bad input, with a message naming
the file, the line and the column.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO, TypeVar

from meded.engine.workhours import (
    CURRENT,
    RULE_SETS,
    Finding,
    Interval,
    Kind,
    Rotation,
    RuleSet,
    check_many,
)

INTERVAL_COLUMNS = ("person", "start", "end", "kind")
ROTATION_COLUMNS = ("person", "rotation", "start_date", "end_date")
MAX_ERRORS = 20
T = TypeVar("T")

HELP = (
    "Check clinical and educational work hours against the ACGME rules (80 hours averaged "
    "by rotation, 14 hours after call, one day off in seven, 24+4 hours, every third night, "
    "moonlighting). No database needed."
)

EPILOG = f"""\
INTERVALS.csv has the header {",".join(INTERVAL_COLUMNS)}: start and end are ISO 8601 times
WITH a UTC offset (2026-07-06T07:00-04:00); kind is one of
{textwrap.fill(", ".join(k.value for k in Kind), 88, initial_indent="  ", subsequent_indent="  ")}
(at_home_call is the activated time of at-home call). ROTATIONS.csv has the header
{",".join(ROTATION_COLUMNS)} with dates YYYY-MM-DD, both days included.

Averaging (80 hours, one day off in seven, every third night) is by rotation: a rotation of
up to 31 days as a whole, a longer one in four-week periods from its first day (the last
period being its final four weeks). Work outside every rotation, and everything when
--rotations is not given, is averaged over consecutive four-week periods from the person's
first interval. Every rolling 28-day window over 80 hours is an early warning.

Without --pgy, PGY-1 rules (no moonlighting; the 2011 16-hour limit) are skipped.
Each finding: person, rule (W1-W12), severity (violation or warning), start, end, the
measured value and the limit. Exit status 0 when the check ran, 2 on bad input.
"""


class InputError(Exception):
    """Bad input; the message names the file, line and column."""


# --- Reading --------------------------------------------------------------------------------


def _rows(path: str, columns: Sequence[str]) -> Iterator[tuple[int, dict[str, str | None]]]:
    """(line number, row) for each data row of a CSV file with the given columns."""
    try:
        handle: TextIO = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read it ({e.strerror or e})") from None
    with handle:
        try:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or not any(h.strip() for h in header):
                raise InputError(f"{path} line 1: no header (expected {','.join(columns)})")
            names = [h.strip().lower() for h in header]
            missing = [c for c in columns if c not in names]
            if missing:
                raise InputError(
                    f"{path} line 1: missing column{'s' * (len(missing) != 1)} "
                    f"{', '.join(missing)} (expected header {','.join(columns)})"
                )
            where = {c: names.index(c) for c in columns}
            for values in reader:
                if not any(v.strip() for v in values):
                    continue  # a blank line
                row = {
                    c: (values[i].strip() if i < len(values) else None) for c, i in where.items()
                }
                yield reader.line_num, row
        except UnicodeDecodeError:
            raise InputError(f"{path}: not a UTF-8 text file") from None
        except csv.Error as e:
            raise InputError(f"{path}: not a CSV file ({e})") from None


def _collect(
    path: str, columns: Sequence[str], parse: Callable[[str, int, dict[str, str | None]], T]
) -> list[tuple[str, T]]:
    """Parse every row; collect up to MAX_ERRORS messages and raise them together."""
    out: list[tuple[str, T]] = []
    errors: list[str] = []
    extra = 0
    for line, row in _rows(path, columns):
        try:
            person = _value(path, line, row, "person")
            out.append((person, parse(path, line, row)))
        except InputError as e:
            if len(errors) < MAX_ERRORS:
                errors.append(str(e))
            else:
                extra += 1
    if errors:
        if extra:
            errors.append(f"... and {extra} more error{'s' * (extra != 1)} in {path}")
        raise InputError("\n".join(errors))
    return out


def _value(path: str, line: int, row: dict[str, str | None], column: str) -> str:
    raw = row.get(column)
    if not raw:
        raise InputError(f"{path} line {line}, {column}: missing")
    return raw


def _datetime(path: str, line: int, row: dict[str, str | None], column: str) -> dt.datetime:
    raw = _value(path, line, row, column)
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise InputError(
            f"{path} line {line}, {column}: {raw!r} is not an ISO 8601 date-time "
            "(like 2026-07-06T07:00-04:00)"
        ) from None
    if value.tzinfo is None:
        raise InputError(f"{path} line {line}, {column}: {raw!r} has no UTC offset")
    return value


def _date(path: str, line: int, row: dict[str, str | None], column: str) -> dt.date:
    raw = _value(path, line, row, column)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InputError(
            f"{path} line {line}, {column}: {raw!r} is not a date (YYYY-MM-DD)"
        ) from None


def _interval(path: str, line: int, row: dict[str, str | None]) -> Interval:
    start = _datetime(path, line, row, "start")
    end = _datetime(path, line, row, "end")
    raw_kind = _value(path, line, row, "kind")
    try:
        kind = Kind(raw_kind.lower())
    except ValueError:
        raise InputError(
            f"{path} line {line}, kind: {raw_kind!r} is not one of "
            f"{', '.join(k.value for k in Kind)}"
        ) from None
    if end <= start:
        relation = "is before" if end < start else "is the same time as"
        raise InputError(
            f"{path} line {line}, end: {row['end']!r} {relation} start {row['start']!r}"
        )
    return Interval(start, end, kind)


def _rotation(path: str, line: int, row: dict[str, str | None]) -> Rotation:
    name = _value(path, line, row, "rotation")
    first = _date(path, line, row, "start_date")
    last = _date(path, line, row, "end_date")
    if last < first:
        raise InputError(
            f"{path} line {line}, end_date: {row['end_date']!r} is before start_date "
            f"{row['start_date']!r}"
        )
    return Rotation(name, first, last)


def read_intervals(path: str) -> dict[str, list[Interval]]:
    """person -> intervals, from a CSV file with the header person,start,end,kind."""
    out: dict[str, list[Interval]] = {}
    for person, interval in _collect(path, INTERVAL_COLUMNS, _interval):
        out.setdefault(person, []).append(interval)
    return out


def read_rotations(path: str) -> dict[str, list[Rotation]]:
    """person -> rotations, from a CSV file with the header person,rotation,start_date,
    end_date."""
    out: dict[str, list[Rotation]] = {}
    for person, rotation in _collect(path, ROTATION_COLUMNS, _rotation):
        out.setdefault(person, []).append(rotation)
    return out


def parse_pgy(values: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for raw in values:
        person, sep, year = raw.rpartition("=")
        if not sep or not person.strip() or not year.strip().isdigit() or int(year) < 1:
            raise InputError(f"--pgy {raw!r}: expected PERSON=N with N a PGY year (1, 2, ...)")
        out[person.strip()] = int(year)
    return out


def rule_set_from(args: argparse.Namespace) -> RuleSet:
    ruleset = RULE_SETS[args.rules] if args.rules else CURRENT
    try:
        if args.tz:
            ruleset = ruleset.in_zone(args.tz)
        if args.exception_hours is not None:
            ruleset = ruleset.with_exception(weekly_hours=args.exception_hours)
    except ValueError as e:
        option = "--exception-hours" if args.exception_hours is not None else "--tz"
        raise InputError(f"{option}: {e}") from None
    return ruleset


# --- Writing --------------------------------------------------------------------------------


def as_json(f: Finding) -> dict[str, Any]:
    return {
        "person": f.person,
        "rule": f.rule,
        "severity": f.severity.value,
        "start": f.start.isoformat(),
        "end": f.end.isoformat(),
        "value": f.value,
        "limit": f.limit,
    }


def table(findings: Sequence[Finding]) -> str:
    head = ("Person", "Rule", "Severity", "Start", "End", "Value", "Limit", "Detail")
    rows = [head] + [
        (
            f.person or "",
            f.rule,
            f.severity.value,
            f.start.isoformat(timespec="minutes"),
            f.end.isoformat(timespec="minutes"),
            f"{f.value:g}",
            f"{f.limit:g} {f.unit}",
            f.message,
        )
        for f in findings
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head) - 1)]
    lines = []
    for n, row in enumerate(rows):
        cells = [f"{c:<{w}}" for c, w in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in [*widths, len(head[-1])]))
    return "\n".join(lines)


def summary(findings: Sequence[Finding], people: int, ruleset: RuleSet) -> str:
    v = sum(f.is_violation for f in findings)
    w = len(findings) - v
    return (
        f"{v} violation{'s' * (v != 1)} and {w} warning{'s' * (w != 1)} for {people} "
        f"{'person' if people == 1 else 'people'} (rules {ruleset.version}, {ruleset.tz})"
    )


# --- The command ----------------------------------------------------------------------------


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("intervals", metavar="INTERVALS.csv", help="person,start,end,kind rows")
    p.add_argument(
        "--rotations",
        metavar="ROTATIONS.csv",
        help="person,rotation,start_date,end_date rows: averaging by rotation",
    )
    p.add_argument(
        "--pgy",
        nargs="+",
        action="extend",
        default=[],
        metavar="PERSON=N",
        help="each person's postgraduate year (PGY-1 may not moonlight)",
    )
    p.add_argument(
        "--rules",
        choices=list(RULE_SETS),
        default=None,
        help=f"the rule set version ({CURRENT.version})",
    )
    p.add_argument(
        "--exception-hours",
        type=float,
        default=None,
        metavar="HOURS",
        help="a Review Committee's weekly-hours exception (at most 88)",
    )
    p.add_argument("--tz", default=None, help=f"the hospital's time zone ({CURRENT.tz})")
    p.add_argument(
        "--json", action="store_true", help="one JSON object per line per violation or warning"
    )


def note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    try:
        ruleset = rule_set_from(args)
        pgy = parse_pgy(args.pgy)
        intervals = read_intervals(args.intervals)
        rotations = read_rotations(args.rotations) if args.rotations else {}
    except InputError as e:
        for line in str(e).splitlines():
            print(f"meded check-hours: {line}", file=sys.stderr)
        return 2
    people = sorted(intervals)
    if not args.rotations:
        note(
            "no --rotations: averaging over consecutive four-week periods from each "
            "person's first interval"
        )
    else:
        without = [p for p in people if p not in rotations]
        if without:
            note(
                f"no rotations for {', '.join(without)}: averaging over consecutive four-week "
                "periods from their first interval"
            )
    unknown = [p for p in people if p not in pgy]
    if unknown:
        who = "everyone" if not pgy else ", ".join(unknown)
        note(
            f"PGY unknown for {who} (no --pgy): the PGY-1 moonlighting rule (W10) is "
            "skipped"
            + (
                " and so is the 16-hour PGY-1 limit"
                if ruleset.pgy1_max_continuous_hours is not None
                else ""
            )
        )
    findings = check_many(intervals, rotations, dict(pgy), ruleset)
    if args.json:
        for f in findings:
            print(json.dumps(as_json(f)))
    else:
        if findings:
            print(table(findings))
            print()
        print(summary(findings, len(people), ruleset))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="meded check-hours",
        description=HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m meded.workhours_cli`: the same command without the meded front door."""
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
