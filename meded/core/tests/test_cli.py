"""The `meded` console command. Nothing here starts a long-running server: the supervision of
the demo's worker is checked with short-lived stand-in processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from meded import cli
from meded.jobs.models import Job
from meded.org.demo import DEMO_PASSWORD, PERSONAS
from meded.org.models import Institution, Person, Program
from meded.rosters.models import Roster, Shift
from meded.schedules.models import ScheduleVersion

COMMANDS = [
    "demo",
    "serve",
    "worker",
    "migrate",
    "load-demo",
    "import-roster",
    "export-roster",
    "check-db",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_explains_itself_with_help(capsys, command):
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: meded {command}")
    assert "options:" in out


def test_meded_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert f"    {command}" in out


def test_meded_without_a_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_an_unknown_subcommand_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["frobnicate"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_the_installed_console_script_answers_help():
    meded = Path(sys.executable).with_name("meded")
    assert meded.exists(), "pip install -e . installs the meded console script"
    out = subprocess.run(
        [str(meded), "--help"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    for command in COMMANDS:
        assert command in out
    worker = subprocess.run(
        [str(meded), "worker", "--help"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "--queue-name" in worker
    assert "many machines" in worker


def test_serve_says_it_is_the_development_server_for_now(capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    assert "runserver" in capsys.readouterr().out


@pytest.mark.django_db
def test_check_db_names_the_database_in_use(capsys):
    code, out = run(capsys, "check-db")
    assert code == 0
    assert f"Database:   {connection.vendor}" in out
    assert "Reachable:  yes" in out
    assert "Migrations: up to date" in out


@pytest.mark.django_db
def test_load_demo_leaves_a_loaded_demo_alone(capsys):
    before = (Person.objects.count(), Program.objects.count(), User.objects.count())
    code, out = run(capsys, "load-demo", "--small")
    assert code == 0
    assert "already loaded" in out
    assert (Person.objects.count(), Program.objects.count(), User.objects.count()) == before


@pytest.mark.django_db(transaction=True)
def test_load_demo_twice_loads_once_and_reset_rebuilds(capsys, monkeypatch):
    monkeypatch.setenv("MEDED_DEMO_SOLVE_SECONDS", "2")  # the solve runs inline in tests
    monkeypatch.setenv("MEDED_DEMO_ROSTER_BLOCKS", "2")  # today's block and the next
    call_command("flush", interactive=False, verbosity=0)  # start from an empty database
    assert not Institution.objects.exists()
    code, out = run(capsys, "load-demo", "--small")
    assert code == 0
    assert "  - Internal Medicine: residents" in out
    assert "  - Rotation schedule: 26 blocks; solving version 1" in out
    assert ScheduleVersion.objects.filter(
        schedule_year__program__slug="internal-medicine", solver_status__in=["OPTIMAL", "FEASIBLE"]
    ).exists()
    # then (on the worker in real life): the year is published and its blocks rostered,
    # today's first, each by its own generation job
    assert ScheduleVersion.objects.filter(
        schedule_year__program__slug="internal-medicine", status="published"
    ).exists()
    assert "  - Shift rosters: once the year is solved, every block is generated" in out
    today = timezone.localdate()
    published = Roster.objects.filter(status=Roster.Status.PUBLISHED).select_related(
        "schedule_year__academic_year"
    )
    assert len(published) == 2
    assert any(r.first_day <= today <= r.last_day for r in published)
    assert Job.objects.filter(kind="roster_solve", status=Job.Status.SUCCEEDED).count() == 2
    assert Shift.objects.filter(published=True).exists()
    counts = (Person.objects.count(), Program.objects.count(), User.objects.count())
    assert counts[1] > 0

    code, out = run(capsys, "load-demo", "--small")
    assert code == 0
    assert "already loaded" in out
    assert (Person.objects.count(), Program.objects.count(), User.objects.count()) == counts

    Program.objects.filter(slug="general-surgery-residency").update(name="Renamed")
    code, out = run(capsys, "load-demo", "--small", "--reset")
    assert code == 0
    assert "Emptying the database" in out
    assert (Person.objects.count(), Program.objects.count(), User.objects.count()) == counts
    assert Program.objects.get(slug="general-surgery-residency").name != "Renamed"


def test_the_logins_table_has_every_persona_with_the_demo_password():
    table = cli.logins_table()
    lines = table.splitlines()
    assert len(lines) == len(PERSONAS) + 2
    for username, _first, _last, what in PERSONAS:
        row = next(line for line in lines if line.split()[0] == username)
        assert DEMO_PASSWORD in row
        assert what in row


@pytest.mark.django_db
def test_demo_prepares_then_hands_the_server_and_one_worker_to_the_supervisor(capsys, monkeypatch):
    calls: list[tuple[list[str], list[str] | None]] = []

    def supervise(server: list[str], worker: list[str] | None) -> int:
        calls.append((server, worker))
        return 0

    monkeypatch.setattr(cli, "supervise", supervise)
    code, out = run(capsys, "demo", "--port", "8123")
    assert code == 0
    assert "http://127.0.0.1:8123" in out
    assert "already loaded" in out
    for username, *_ in PERSONAS:
        assert f"  {username} " in out
    [(server, worker)] = calls
    assert server[-5:] == ["serve", "--host", "127.0.0.1", "--port", "8123"]
    assert worker is not None
    assert worker[-2:] == ["meded.cli", "worker"]

    calls.clear()
    code, out = run(capsys, "demo", "--no-worker")
    [(server, worker)] = calls
    assert worker is None
    assert "No worker" in out
    assert "http://127.0.0.1:8000" in out


@pytest.mark.django_db
def test_demo_turns_debug_on_for_itself_its_web_server_and_its_worker(capsys, monkeypatch):
    monkeypatch.setenv("MEDED_DEBUG", "0")
    monkeypatch.delenv("MEDED_DEBUG")  # restored (to unset) after the test
    seen: list[str | None] = []

    def supervise(server: list[str], worker: list[str] | None) -> int:
        seen.append(os.environ.get("MEDED_DEBUG"))  # the children inherit the environment
        return 0

    monkeypatch.setattr(cli, "supervise", supervise)
    code, _ = run(capsys, "demo", "--no-worker")
    assert code == 0 and seen == ["1"]


def test_serve_has_a_production_mode_with_gunicorn(capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "--production" in out and "gunicorn" in out and "MEDED_WEB_WORKERS" in out


def sleeper(seconds: float) -> list[str]:
    return [sys.executable, "-c", f"import time; time.sleep({seconds})"]


def test_the_worker_is_stopped_when_the_server_exits(monkeypatch):
    started = time.monotonic()
    procs: list[subprocess.Popen[bytes]] = []
    real_start = cli.start_worker

    def start(command):
        procs.append(real_start(command))
        return procs[-1]

    monkeypatch.setattr(cli, "start_worker", start)
    code = cli.supervise(sleeper(0.3), sleeper(120))
    [worker] = procs
    assert code == 0
    assert worker.poll() is not None, "the worker outlived the server"
    assert time.monotonic() - started < 30


# A stand-in worker that records a graceful SIGTERM, supervised beside a stand-in server.
STAND_IN_WORKER = """
import signal, sys, time
def stop(signum, frame):
    open(sys.argv[1], "w").write("stopped cleanly")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
open(sys.argv[1] + ".up", "w").write("up")
time.sleep(120)
"""
SUPERVISOR = """
import sys
from meded import cli
server = [sys.executable, "-c", "import time; print('server up', flush=True); time.sleep(120)"]
worker = [sys.executable, "-c", sys.argv[2], sys.argv[1]]
sys.exit(cli.supervise(server, worker))
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_stops_the_server_and_then_the_worker_cleanly(tmp_path, sig):
    marker = tmp_path / "worker"
    proc = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, str(marker), STAND_IN_WORKER],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "server up\n"
        deadline = time.monotonic() + 30
        while not Path(f"{marker}.up").exists():
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.05)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Stopping the worker" in out
    assert marker.read_text() == "stopped cleanly"


def test_a_worker_that_ignores_sigterm_is_killed_after_the_grace_period():
    stubborn = [
        sys.executable,
        "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', "
        "flush=True); time.sleep(120)",
    ]
    proc = subprocess.Popen(stubborn, start_new_session=True, stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"up\n"
    code = cli.stop_worker(proc, timeout=0.5)
    assert code == -9


def test_import_and_export_roster_pass_their_arguments_to_the_management_commands(monkeypatch, db):
    calls = []
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: calls.append(a))
    assert cli.main(["import-roster", "r.xlsx", "--program", "im", "--dry-run"]) == 0
    assert cli.main(["import-roster", "r.csv", "--program", "im", "--as", "coordinator"]) == 0
    assert (
        cli.main(["export-roster", "--program", "im", "--format", "xlsx", "--output", "o.xlsx"])
        == 0
    )
    assert cli.main(["export-roster", "--program", "im", "--as", "director"]) == 0
    assert calls == [
        ("import_roster", "r.xlsx", "--program", "im", "--dry-run"),
        ("import_roster", "r.csv", "--program", "im", "--as", "coordinator"),
        ("export_roster", "--program", "im", "--format", "xlsx", "--output", "o.xlsx"),
        ("export_roster", "--program", "im", "--format", "csv", "--as", "director"),
    ]


@pytest.mark.django_db
def test_an_exported_roster_checks_clean_with_a_dry_run_import(capsys, tmp_path, im):
    path = tmp_path / "roster.csv"
    code, _ = run(capsys, "export-roster", "--program", im.slug, "--output", str(path))
    assert code == 0
    assert path.read_text(encoding="utf-8-sig").startswith("external_id,email,")
    code, out = run(capsys, "import-roster", str(path), "--program", im.slug, "--dry-run")
    assert code == 0
    assert im.name in out


@pytest.mark.django_db
def test_a_command_error_is_reported_without_a_traceback(capsys):
    assert cli.main(["export-roster", "--program", "no-such-program"]) == 1
    assert "meded: No program with the slug 'no-such-program'" in capsys.readouterr().err


def test_import_roster_requires_a_program(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["import-roster", "roster.csv"])
    assert exit_.value.code == 2
    assert "--program" in capsys.readouterr().err


def test_worker_options_are_passed_through_to_db_worker():
    parser = cli.build_parser()
    args = parser.parse_args(
        [
            "worker",
            "--queue-name",
            "*",
            "--exclude-queues",
            "slow",
            "--interval",
            "0.5",
            "--batch",
            "--max-tasks",
            "3",
            "--worker-id",
            "host-1",
            "--no-reload",
            "--no-startup-delay",
        ]
    )
    assert cli.worker_arguments(args) == [
        "--queue-name",
        "*",
        "--exclude-queues",
        "slow",
        "--interval",
        "0.5",
        "--batch",
        "--max-tasks",
        "3",
        "--worker-id",
        "host-1",
        "--no-reload",
        "--no-startup-delay",
    ]
    plain = cli.worker_arguments(parser.parse_args(["worker"]))
    assert plain == ["--queue-name", "default"]
