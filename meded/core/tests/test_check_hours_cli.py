"""`meded check-hours`: the work-hour checker on CSV files. No database: every test writes its
CSV files into a temporary directory and runs the command in it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from meded import cli

HEADER = "person,start,end,kind\n"
MON = dt.date(2026, 7, 6)

# Alice: a 24-hour call, five more hours on the ward (29 h continuous), then back 8 h later.
CALL = HEADER + (
    "alice,2026-07-06T07:00-04:00,2026-07-07T07:00-04:00,in_house_call\n"
    "alice,2026-07-07T07:00-04:00,2026-07-07T12:00-04:00,in_house\n"
    "alice,2026-07-07T20:00-04:00,2026-07-08T06:00-04:00,in_house\n"
)
ROTATIONS = "person,rotation,start_date,end_date\nalice,Wards,2026-07-06,2026-08-02\n"


def heavy_month() -> str:
    """85 hours a week for four weeks: 16 h every weekday, 5 h of moonlighting on Saturdays."""
    rows = []
    for week in range(4):
        for d in range(6):
            day = MON + dt.timedelta(days=week * 7 + d)
            if d < 5:
                rows.append(f"alice,{day}T06:00-04:00,{day}T22:00-04:00,in_house")
            else:
                rows.append(f"alice,{day}T08:00-04:00,{day}T13:00-04:00,moonlighting_external")
    return HEADER + "\n".join(rows) + "\n"


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)

    def write(name: str, text: str) -> str:
        (tmp_path / name).write_text(text, encoding="utf-8")
        return name

    return write


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["check-hours", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


# --- Runs -----------------------------------------------------------------------------------


def test_a_run_with_a_known_violation_prints_exact_json(capsys, files):
    files("intervals.csv", CALL)
    files("rotations.csv", ROTATIONS)
    code, out, err = run(
        capsys, "intervals.csv", "--rotations", "rotations.csv", "--pgy", "alice=2", "--json"
    )
    assert code == 0
    assert err == ""
    assert lines(out) == [
        {
            "person": "alice",
            "rule": "W6",
            "severity": "violation",
            "start": "2026-07-06T07:00:00-04:00",
            "end": "2026-07-07T12:00:00-04:00",
            "value": 29.0,
            "limit": 28.0,
        },
        {
            "person": "alice",
            "rule": "W3",
            "severity": "violation",
            "start": "2026-07-07T12:00:00-04:00",
            "end": "2026-07-07T20:00:00-04:00",
            "value": 8.0,
            "limit": 14.0,
        },
    ]


def test_without_json_a_readable_table_and_a_summary(capsys, files):
    files("intervals.csv", CALL)
    code, out, _ = run(capsys, "intervals.csv", "--pgy", "alice=2")
    assert code == 0
    header, dashes, *rows = out.splitlines()
    assert set(dashes) == {"-", " "}
    assert header.split() == [
        "Person",
        "Rule",
        "Severity",
        "Start",
        "End",
        "Value",
        "Limit",
        "Detail",
    ]
    assert rows[0].split()[:6] == [
        "alice",
        "W6",
        "violation",
        "2026-07-06T07:00-04:00",
        "2026-07-07T12:00-04:00",
        "29",
    ]
    assert out.rstrip().endswith(
        "2 violations and 0 warnings for 1 person (rules ACGME-CPR-2023v3, America/New_York)"
    )


def test_a_clean_record_exits_zero_and_prints_nothing_as_json(capsys, files):
    files(
        "intervals.csv",
        HEADER + "bob,2026-07-06T07:00-04:00,2026-07-06T19:00-04:00,in_house\n",
    )
    assert run(capsys, "intervals.csv", "--pgy", "bob=1", "--json")[:2] == (0, "")
    code, out, _ = run(capsys, "intervals.csv", "--pgy", "bob=1")
    assert (code, out.strip()) == (
        0,
        "0 violations and 0 warnings for 1 person (rules ACGME-CPR-2023v3, America/New_York)",
    )


def test_pgy1_moonlighting_is_flagged_and_an_unknown_pgy_is_noted(capsys, files):
    files("intervals.csv", heavy_month())
    files("rotations.csv", ROTATIONS)
    base = ["intervals.csv", "--rotations", "rotations.csv", "--json"]
    code, out, err = run(capsys, *base, "--pgy", "alice=1")
    assert code == 0 and err == ""
    found = [(x["rule"], x["severity"]) for x in lines(out)]
    assert found.count(("W10", "violation")) == 4
    assert ("W1", "violation") in found
    code, out, err = run(capsys, *base, "--pgy", "alice=2")
    assert "W10" not in {x["rule"] for x in lines(out)}
    code, out, err = run(capsys, *base)
    assert code == 0
    assert "W10" not in {x["rule"] for x in lines(out)}
    assert "PGY unknown for everyone" in err and "(W10) is skipped" in err


def test_the_88_hour_exception_accepts_85_hours(capsys, files):
    files("intervals.csv", heavy_month())
    files("rotations.csv", ROTATIONS)
    base = ["intervals.csv", "--rotations", "rotations.csv", "--pgy", "alice=2", "--json"]
    code, out, _ = run(capsys, *base)
    w1 = [x for x in lines(out) if x["rule"] == "W1" and x["severity"] == "violation"]
    assert [(x["value"], x["limit"]) for x in w1] == [(85.0, 80.0)]
    code, out, _ = run(capsys, *base, "--exception-hours", "88")
    assert (code, out) == (0, "")
    code, _, err = run(capsys, *base, "--exception-hours", "90")
    assert code == 2
    assert "--exception-hours: an exception may grant at most 88 hours" in err


def test_without_rotations_averaging_falls_back_to_four_weeks_from_the_first_interval(
    capsys, files
):
    files("intervals.csv", heavy_month())
    code, out, err = run(capsys, "intervals.csv", "--pgy", "alice=2", "--json")
    assert code == 0
    assert "no --rotations: averaging over consecutive four-week periods" in err
    (w1,) = [x for x in lines(out) if x["rule"] == "W1" and x["severity"] == "violation"]
    assert (w1["start"], w1["end"]) == ("2026-07-06T00:00:00-04:00", "2026-08-03T00:00:00-04:00")


def test_the_2011_rules_can_be_chosen(capsys, files):
    files(
        "intervals.csv",
        HEADER + "cy,2026-07-06T07:00-04:00,2026-07-07T00:00-04:00,in_house\n",  # 17 h
    )
    assert run(capsys, "intervals.csv", "--pgy", "cy=1", "--json")[1] == ""
    code, out, _ = run(
        capsys, "intervals.csv", "--pgy", "cy=1", "--rules", "ACGME-CPR-2011", "--json"
    )
    assert code == 0
    assert [(x["rule"], x["value"], x["limit"]) for x in lines(out)] == [("W6", 17.0, 16.0)]


# --- Bad input ------------------------------------------------------------------------------


def refused(capsys, *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    return err.strip()


def test_a_time_without_offset_names_file_line_and_column(capsys, files):
    files("intervals.csv", CALL + "alice,2026-07-01T07:00-04:00,2026-07-01T08:00,in_house\n")
    assert refused(capsys, "intervals.csv") == (
        "meded check-hours: intervals.csv line 5, end: '2026-07-01T08:00' has no UTC offset"
    )


def test_a_time_that_is_not_a_time(capsys, files):
    files("intervals.csv", HEADER + "alice,soon,2026-07-01T08:00-04:00,in_house\n")
    assert refused(capsys, "intervals.csv") == (
        "meded check-hours: intervals.csv line 2, start: 'soon' is not an ISO 8601 date-time "
        "(like 2026-07-06T07:00-04:00)"
    )


def test_a_bad_kind(capsys, files):
    files("intervals.csv", HEADER + "alice,2026-07-01T07:00Z,2026-07-01T08:00Z,oncall\n")
    err = refused(capsys, "intervals.csv")
    assert err.startswith("meded check-hours: intervals.csv line 2, kind: 'oncall' is not one of")
    assert "in_house_call" in err


def test_end_before_start(capsys, files):
    files(
        "intervals.csv",
        HEADER + "alice,2026-07-01T08:00-04:00,2026-07-01T07:00-04:00,in_house\n",
    )
    assert refused(capsys, "intervals.csv") == (
        "meded check-hours: intervals.csv line 2, end: '2026-07-01T07:00-04:00' is before "
        "start '2026-07-01T08:00-04:00'"
    )


def test_a_missing_header(capsys, files):
    files("intervals.csv", "alice,2026-07-01T07:00-04:00,2026-07-01T08:00-04:00,in_house\n")
    err = refused(capsys, "intervals.csv")
    assert err.startswith("meded check-hours: intervals.csv line 1: missing columns person,")
    assert "(expected header person,start,end,kind)" in err
    files("empty.csv", "")
    assert refused(capsys, "empty.csv") == (
        "meded check-hours: empty.csv line 1: no header (expected person,start,end,kind)"
    )


def test_a_missing_file(capsys, files):
    assert refused(capsys, "nowhere.csv") == "meded check-hours: nowhere.csv: no such file"
    files("intervals.csv", CALL)
    assert refused(capsys, "intervals.csv", "--rotations", "rot.csv") == (
        "meded check-hours: rot.csv: no such file"
    )


def test_every_bad_line_is_reported(capsys, files):
    files(
        "intervals.csv",
        HEADER
        + "alice,2026-07-01T07:00-04:00,2026-07-01T08:00-04:00,in_house\n"
        + "alice,2026-07-01T07:00-04:00\n"
        + ",2026-07-01T07:00-04:00,2026-07-01T08:00-04:00,in_house\n",
    )
    assert refused(capsys, "intervals.csv").splitlines() == [
        "meded check-hours: intervals.csv line 3, end: missing",
        "meded check-hours: intervals.csv line 4, person: missing",
    ]


def test_bad_rotations(capsys, files):
    files("intervals.csv", CALL)
    files(
        "rotations.csv",
        "person,rotation,start_date,end_date\n"
        "alice,Wards,2026-07-06,2026-08-02\n"
        "alice,ICU,2026-08-03,2026-13-01\n"
        "alice,Clinic,2026-09-01,2026-08-31\n",
    )
    assert refused(capsys, "intervals.csv", "--rotations", "rotations.csv").splitlines() == [
        "meded check-hours: rotations.csv line 3, end_date: '2026-13-01' is not a date "
        "(YYYY-MM-DD)",
        "meded check-hours: rotations.csv line 4, end_date: '2026-08-31' is before start_date "
        "'2026-09-01'",
    ]


def test_a_bad_pgy(capsys, files):
    files("intervals.csv", CALL)
    assert refused(capsys, "intervals.csv", "--pgy", "alice=one") == (
        "meded check-hours: --pgy 'alice=one': expected PERSON=N with N a PGY year (1, 2, ...)"
    )


def test_an_unknown_rule_set_is_refused_by_the_parser(capsys, files):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["check-hours", "intervals.csv", "--rules", "ACGME-2003"])
    assert exit_.value.code == 2
    assert "invalid choice: 'ACGME-2003'" in capsys.readouterr().err


# --- The command itself ---------------------------------------------------------------------


def test_check_hours_explains_itself(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["check-hours", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: meded check-hours")
    assert "--rotations" in out and "--exception-hours" in out and "UTC offset" in out


def test_check_hours_does_not_set_up_django(tmp_path):
    """Run in a fresh interpreter (this one has Django set up by pytest-django): the command
    works and leaves Django's app registry untouched, so it needs no settings or database."""
    path = tmp_path / "intervals.csv"
    path.write_text(CALL, encoding="utf-8")
    script = (
        "import sys, django.apps\n"
        "from meded import cli\n"
        f"code = cli.main(['check-hours', {str(path)!r}, '--json'])\n"
        "print('READY', django.apps.apps.ready, code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "no.such.settings"},
    )
    assert result.stdout.splitlines()[-1] == "READY False 0"
    assert '"rule": "W6"' in result.stdout
