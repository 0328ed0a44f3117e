"""The `meded` console command: the front door for running the product.

    meded demo            migrate, load the demo, start a worker and the web server
    meded serve           the web server (Django's runserver for now)
    meded worker          a background worker (django-tasks-db's db_worker)
    meded reap-jobs       fail jobs whose worker stopped (every worker also does it)
    meded migrate         apply database migrations
    meded load-demo       load the deterministic demo institution
    meded import-roster   import a program's roster file
    meded export-roster   export a program's roster
    meded check-db        show which database is in use
    meded check-hours     check work hours against the ACGME rules (CSV in, no database)

`meded COMMAND --help` explains each. DJANGO_SETTINGS_MODULE defaults to meded.settings;
DATABASE_URL chooses PostgreSQL (SQLite under var/ otherwise).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
WORKER_STOP_SECONDS = 15.0
# Each demo block's roster solve (26 blocks: a few minutes in all, today's block first).
DEMO_ROSTER_SECONDS = 20.0

Handler = Callable[[argparse.Namespace], int]


def say(message: str = "") -> None:
    print(message, flush=True)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meded.settings")
    import django

    django.setup()


# --- Database -------------------------------------------------------------------------------


def pending_migrations() -> int:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def apply_migrations(verbosity: int = 1) -> None:
    from django.core.management import call_command

    pending = pending_migrations()
    if not pending:
        say("Database schema is up to date.")
        return
    say(f"Applying {pending} migration{'s' if pending != 1 else ''}...")
    call_command("migrate", interactive=False, verbosity=verbosity)


def describe_database() -> dict[str, str]:
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        where = str(s["NAME"])
    else:
        host = s.get("HOST") or "local socket"
        port = f":{s['PORT']}" if s.get("PORT") else ""
        where = f"{host}{port}, database {s['NAME']}, user {s.get('USER') or '(default)'}"
    source = "DATABASE_URL" if os.environ.get("DATABASE_URL", "").strip() else "the default"
    return {"vendor": connection.vendor, "where": where, "source": source}


# --- Demo -----------------------------------------------------------------------------------


def load_demo_data(*, seed: int, reset: bool, small: bool) -> bool:
    """Load the demo unless it is there already (reset: empty the database first).
    Returns True when it loaded."""
    from django.core.management import call_command

    from meded.org.demo import SMALL, demo_loaded, load_demo

    if reset:
        say("Emptying the database (--reset)...")
        call_command("flush", interactive=False, verbosity=0)
    elif demo_loaded():
        say("The demo is already loaded (use --reset to rebuild it).")
        return False
    say(f"Loading the demo institution (seed {seed}{', small scale' if small else ''}):")
    started = time.monotonic()

    def progress(step: str) -> None:
        say(f"  - {step} ({time.monotonic() - started:.0f}s)")

    counts = load_demo(seed=seed, scale=SMALL if small else None, progress=progress)
    seconds = time.monotonic() - started
    say(f"Loaded {counts['programs']} programs and {counts['people']} people in {seconds:.1f}s.")
    queue_demo_schedule()
    return True


def queue_demo_schedule() -> None:
    """Internal Medicine's rotation schedule configuration, and its year's solve queued as the
    chief resident: the worker that `meded demo` starts solves it in the background."""
    from django.contrib.auth.models import User

    from meded.org.models import Program
    from meded.rosters.demo import finish_demo, load_roster_demo
    from meded.schedules.actions import do_solve
    from meded.schedules.demo import load_schedule_demo

    im = Program.objects.get(slug="internal-medicine")
    year = load_schedule_demo(im)
    # MEDED_DEMO_SOLVE_SECONDS shortens the solve (tests run tasks inline).
    seconds = float(os.environ.get("MEDED_DEMO_SOLVE_SECONDS", "0")) or None
    chief = User.objects.get(username="chief")
    version = do_solve(chief, year, time_limit=seconds, label="Demo year")
    say(
        f"  - Rotation schedule: {year.n_blocks} blocks; solving version {version.number} "
        f"in the background (/schedules/{im.slug}/{year.pk}/)"
    )
    # Then, on the worker: publish it and generate and publish every block's roster, today's
    # first. MEDED_DEMO_ROSTER_SECONDS is each block's solve time, MEDED_DEMO_ROSTER_BLOCKS
    # how many blocks to roster (0: all; the tests roster two).
    load_roster_demo(im)
    roster_seconds = float(os.environ.get("MEDED_DEMO_ROSTER_SECONDS", "0")) or min(
        DEMO_ROSTER_SECONDS, seconds or DEMO_ROSTER_SECONDS
    )
    blocks = int(os.environ.get("MEDED_DEMO_ROSTER_BLOCKS", "0"))
    finish_demo.enqueue(str(version.job_id), roster_seconds, blocks)
    say(
        "  - Shift rosters: once the year is solved, every block is generated and published, "
        f"today's first ({roster_seconds:g} s a block; /rosters/{im.slug}/)"
    )


def logins_table() -> str:
    from meded.org.demo import DEMO_PASSWORD, PERSONAS

    rows = [("Username", "Password", "Who they are / what they see")]
    rows += [(username, DEMO_PASSWORD, what) for username, _first, _last, what in PERSONAS]
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = []
    for n, (user, password, what) in enumerate(rows):
        lines.append(f"  {user:<{widths[0]}}  {password:<{widths[1]}}  {what}")
        if n == 0:
            lines.append(f"  {'-' * widths[0]}  {'-' * widths[1]}  {'-' * len(what)}")
    return "\n".join(lines)


def python_m_meded(*args: str) -> list[str]:
    """A command line that runs `meded ARGS` with this interpreter (works without the
    console script on PATH)."""
    return [sys.executable, "-m", "meded.cli", *args]


def start_worker(command: Sequence[str]) -> subprocess.Popen[bytes]:
    # Its own session: Ctrl-C in the terminal does not reach it; we stop it ourselves, after
    # the web server, with SIGTERM, which db_worker takes as "finish the task, then exit".
    return subprocess.Popen(list(command), start_new_session=True)


def stop_worker(proc: subprocess.Popen[bytes], timeout: float = WORKER_STOP_SECONDS) -> int:
    """SIGTERM the worker's process group (the worker and its autoreloader), wait, then
    SIGKILL if it does not finish in time. Returns the exit code."""
    if proc.poll() is not None:
        return proc.returncode
    say("Stopping the worker...")
    _signal_group(proc, signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        say("The worker did not stop in time; killing it.")
        _signal_group(proc, signal.SIGKILL)
        return proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)  # the group the worker leads (start_new_session)


def supervise(server_command: Sequence[str], worker_command: Sequence[str] | None) -> int:
    """Run the web server in the foreground and, beside it, one worker. Whatever ends the
    server (Ctrl-C, SIGTERM, the server failing), the worker is stopped cleanly."""
    worker = start_worker(worker_command) if worker_command else None
    server = subprocess.Popen(list(server_command))
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    code = 0
    try:
        code = server.wait()
        if worker is not None and worker.poll() is not None:
            say(f"The worker exited early (code {worker.returncode}).")
    except KeyboardInterrupt:
        say("\nShutting down...")
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait()
        if worker is not None:
            stop_worker(worker)
        signal.signal(signal.SIGTERM, previous)
    return code


def demo_environment() -> None:
    """The demo runs with DEBUG on (and so the built-in secret key), unless MEDED_DEBUG says
    otherwise; set before Django loads, and inherited by its web server and worker."""
    os.environ.setdefault("MEDED_DEBUG", "1")


def cmd_demo(args: argparse.Namespace) -> int:
    demo_environment()
    setup_django()
    steps = 3 if args.no_worker else 4
    say(f"[1/{steps}] Database: {describe_database()['where']}")
    apply_migrations(verbosity=0)
    say(f"[2/{steps}] Demo data")
    load_demo_data(seed=args.seed, reset=args.reset, small=args.small)
    url = f"http://{DEFAULT_HOST}:{args.port}"
    say()
    say(f"meded is starting at {url}")
    say("Demo logins (every persona has the same password):")
    say(logins_table())
    say()
    worker_command = None
    if args.no_worker:
        say(
            "No worker (--no-worker): background jobs such as roster imports wait until "
            "`meded worker` runs."
        )
    else:
        say(f"[3/{steps}] Starting one background worker (db_worker)")
        worker_command = python_m_meded("worker")
    say(f"[{steps}/{steps}] Starting the web server at {url} (Ctrl-C stops everything)")
    server_command = python_m_meded("serve", "--host", DEFAULT_HOST, "--port", str(args.port))
    return supervise(server_command, worker_command)


# --- Commands -------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    if args.production:
        return serve_production(args)
    setup_django()
    from django.core.management import call_command

    call_command("runserver", f"{args.host}:{args.port}", use_reloader=not args.noreload)
    return 0


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def default_workers() -> int:
    """gunicorn's rule of thumb, two processes per core plus one, at most eight."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


def production_command(args: argparse.Namespace) -> list[str]:
    """gunicorn serving meded.wsgi:application: options first, then MEDED_WEB_* variables,
    then the defaults."""
    workers = args.workers or _env_int("MEDED_WEB_WORKERS", default_workers())
    threads = args.threads or _env_int("MEDED_WEB_THREADS", 4)
    timeout = args.timeout or _env_int("MEDED_WEB_TIMEOUT", 60)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "meded.wsgi:application",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        "30",
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        # no control socket in the home directory (two instances would fight over it)
        "--no-control-socket",
    ]
    forwarded = os.environ.get("MEDED_FORWARDED_ALLOW_IPS", "").strip()
    if forwarded:
        command += ["--forwarded-allow-ips", forwarded]
    return command


def serve_production(args: argparse.Namespace) -> int:
    """Check the configuration (Django refuses to start on the built-in key with DEBUG off),
    collect the static files for whitenoise, then become gunicorn."""
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    if settings.DEBUG:
        say("meded: warning: MEDED_DEBUG is on; turn it off in production.")
    if args.collectstatic:
        say(f"Collecting static files into {settings.STATIC_ROOT} ...")
        call_command("collectstatic", interactive=False, verbosity=0)
    command = production_command(args)
    say(f"Starting gunicorn at http://{args.host}:{args.port} (Ctrl-C or SIGTERM stops it)")
    sys.stdout.flush()
    # the server takes this process's place (and its signals); the command is ours, no shell
    os.execv(command[0], command)  # noqa: S606
    return 0  # not reached


def worker_arguments(args: argparse.Namespace) -> list[str]:
    out = ["--queue-name", args.queue_name]
    if args.exclude_queues:
        out += ["--exclude-queues", args.exclude_queues]
    if args.interval is not None:
        out += ["--interval", str(args.interval)]
    if args.batch:
        out.append("--batch")
    if args.max_tasks is not None:
        out += ["--max-tasks", str(args.max_tasks)]
    if args.worker_id:
        out += ["--worker-id", args.worker_id]
    if args.backend:
        out += ["--backend", args.backend]
    if args.reload is not None:
        out.append("--reload" if args.reload else "--no-reload")
    if not args.startup_delay:
        out.append("--no-startup-delay")
    return out


def cmd_worker(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    from meded.jobs import lifecycle

    # Every worker also fails jobs whose worker died (no heartbeat for
    # MEDED_JOB_STALE_SECONDS): once now, then in the background while it runs.
    lifecycle.reap_stale()
    stop = lifecycle.start_reaper()
    try:
        call_command("db_worker", *worker_arguments(args), verbosity=args.verbosity)
    finally:
        stop.set()
    return 0


def cmd_reap_jobs(args: argparse.Namespace) -> int:
    setup_django()
    from meded.jobs import lifecycle

    reaped = lifecycle.reap_stale(timeout=args.timeout)
    for job in reaped:
        say(f"failed (worker stopped): {job.title} [{job.pk}]")
    say(f"{len(reaped)} abandoned job(s) failed.")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    setup_django()
    apply_migrations(verbosity=args.verbosity)
    return 0


def cmd_load_demo(args: argparse.Namespace) -> int:
    setup_django()
    apply_migrations(verbosity=0)
    load_demo_data(seed=args.seed, reset=args.reset, small=args.small)
    return 0


def cmd_import_roster(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    extra = ["--dry-run"] if args.dry_run else []
    if args.as_user:
        extra += ["--as", args.as_user]
    call_command("import_roster", args.file, "--program", args.program, *extra)
    return 0


def cmd_export_roster(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    extra = ["--output", args.output] if args.output else []
    if args.as_user:
        extra += ["--as", args.as_user]
    call_command("export_roster", "--program", args.program, "--format", args.format, *extra)
    return 0


def cmd_check_db(args: argparse.Namespace) -> int:
    setup_django()
    from django.db import connection

    info = describe_database()
    say(f"Database:   {info['vendor']} (from {info['source']})")
    say(f"Location:   {info['where']}")
    try:
        connection.ensure_connection()
    except Exception as e:  # any driver error means "not reachable"
        say(f"Reachable:  no ({e.__class__.__name__}: {e})")
        return 1
    say(f"Reachable:  yes, {server_version()}")
    pending = pending_migrations()
    say(f"Migrations: {f'{pending} to apply (meded migrate)' if pending else 'up to date'}")
    return 0


def cmd_check_hours(args: argparse.Namespace) -> int:
    from meded.workhours_cli import run  # pure Python: no django.setup(), no database

    return run(args)


def server_version() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        v = int(getattr(connection, "pg_version", 0))
        return f"PostgreSQL {v // 10000}.{v % 10000}"
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    return connection.vendor


# --- The parser -----------------------------------------------------------------------------

WORKER_EPILOG = """\
Many workers, many machines: every worker polls the one database for queued tasks and claims
each with a row lock, so a task runs exactly once however many workers run. Start as many as
you like, on as many machines as you like, each with the same DATABASE_URL and
MEDED_SECRET_KEY as the web servers (SQLite only works for workers on the same machine):

    DATABASE_URL=postgresql://meded@db.example.org/meded meded worker
    DATABASE_URL=... meded worker --queue-name default --worker-id "$(hostname)-1"

Ctrl-C or SIGTERM lets the current task finish, then exits; a second Ctrl-C stops at once.
"""

SERVE_EPILOG = """\
In production, behind the hospital's TLS-terminating proxy:

    MEDED_SECRET_KEY=... MEDED_ALLOWED_HOSTS=meded.example.org \\
    MEDED_PROXY_SSL_HEADER=X-Forwarded-Proto DATABASE_URL=postgresql://... \\
    meded serve --production --host 0.0.0.0 --port 8000 --workers 4

/healthz answers 200 while the database and the task queue answer (for the load balancer).
"""

AS_HELP = (
    "act as this user: their permission is checked and the audit log names them "
    "(default: the audit log names 'system')"
)

DEMO_EPILOG = """\
The demo is the Internal Medicine Residency Program of a hospital network, with invented
people. Every persona's login is printed at start-up. Data lives where DATABASE_URL points
(SQLite under var/ when unset).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="meded",
        description="meded: graduate medical education for a teaching hospital.",
        epilog="Run `meded COMMAND --help` for the options of one command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def add(
        name: str,
        func: Handler,
        help: str,
        epilog: str | None = None,
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help,
            description=textwrap.fill(help, 88),
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        return p

    p = add(
        "demo",
        cmd_demo,
        "Run the product on the demo program: migrate, load the demo if needed, print the "
        "logins, then start one background worker beside the web server.",
        DEMO_EPILOG,
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="web server port (8000)")
    p.add_argument("--no-worker", action="store_true", help="do not start a background worker")
    p.add_argument(
        "--reset", action="store_true", help="empty the database and load the demo afresh"
    )
    p.add_argument("--seed", type=int, default=2026, help="demo random seed (2026)")
    p.add_argument(
        "--small",
        action="store_true",
        help="a small institution (seconds to load; what the tests use)",
    )

    p = add(
        "serve",
        cmd_serve,
        "Run the web server: Django's development server (runserver) for development, or "
        "with --production the production server, gunicorn serving meded.wsgi:application "
        "with the static files collected for whitenoise.",
        SERVE_EPILOG,
    )
    p.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (8000)")
    p.add_argument("--noreload", action="store_true", help="do not reload on code changes")
    p.add_argument(
        "--production",
        action="store_true",
        help="run gunicorn instead of the development server (needs MEDED_SECRET_KEY)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn worker processes (MEDED_WEB_WORKERS; 2 per core + 1, at most 8)",
    )
    p.add_argument(
        "--threads", type=int, default=None, help="threads per worker (MEDED_WEB_THREADS; 4)"
    )
    p.add_argument(
        "--timeout",
        type=int,
        default=None,
        help="seconds before a stuck request's worker is restarted (MEDED_WEB_TIMEOUT; 60)",
    )
    p.add_argument(
        "--no-collectstatic",
        dest="collectstatic",
        action="store_false",
        help="do not run collectstatic first (the files are collected already)",
    )

    p = add(
        "worker",
        cmd_worker,
        "Run a background worker (django-tasks-db's db_worker) that runs queued tasks such as "
        "roster imports.",
        WORKER_EPILOG,
    )
    p.add_argument(
        "--queue-name",
        default="default",
        help="queues to process, comma-separated; '*' for all (default: default)",
    )
    p.add_argument(
        "--exclude-queues",
        default="",
        help="queues to skip, comma-separated (only with --queue-name '*')",
    )
    p.add_argument(
        "--interval", type=float, default=None, help="seconds to wait between polls when idle (1)"
    )
    p.add_argument(
        "--batch", action="store_true", help="run every queued task, then exit (cron jobs, tests)"
    )
    p.add_argument("--max-tasks", type=int, default=None, help="exit after running this many tasks")
    p.add_argument(
        "--worker-id", default=None, help="a unique name for this worker (default: random)"
    )
    p.add_argument("--backend", default=None, help="task backend alias (default)")
    p.add_argument(
        "--reload",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="restart on code changes (default: on when MEDED_DEBUG is on)",
    )
    p.add_argument(
        "--no-startup-delay",
        dest="startup_delay",
        action="store_false",
        help="start polling at once (no random delay against thundering herds)",
    )
    p.add_argument("-v", "--verbosity", type=int, default=1, choices=[0, 1, 2, 3])

    p = add(
        "reap-jobs",
        cmd_reap_jobs,
        "Fail running jobs whose worker stopped (no heartbeat for MEDED_JOB_STALE_SECONDS, 60 "
        "by default); what they half-made is marked failed. Every `meded worker` does this in "
        "the background; run it from cron when no worker runs.",
    )
    p.add_argument(
        "--timeout", type=float, default=None, help="seconds of silence (MEDED_JOB_STALE_SECONDS)"
    )

    p = add("migrate", cmd_migrate, "Apply database migrations (run once per deployment).")
    p.add_argument("-v", "--verbosity", type=int, default=1, choices=[0, 1, 2, 3])

    p = add(
        "load-demo",
        cmd_load_demo,
        "Load the deterministic demo institution (migrates first). Does nothing when the demo "
        "is already loaded, unless --reset.",
    )
    p.add_argument("--seed", type=int, default=2026, help="random seed (2026)")
    p.add_argument(
        "--reset", action="store_true", help="empty the database (every table) and load afresh"
    )
    p.add_argument("--small", action="store_true", help="a small institution (fast)")

    p = add(
        "import-roster",
        cmd_import_roster,
        "Import a program's roster from a CSV or XLSX file (the management command import_roster).",
    )
    p.add_argument("file", help="the roster file (.csv or .xlsx)")
    p.add_argument("--program", required=True, metavar="SLUG", help="the program's slug")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="check the file and report the changes without saving them",
    )
    p.add_argument("--as", dest="as_user", metavar="USERNAME", help=AS_HELP)

    p = add(
        "export-roster",
        cmd_export_roster,
        "Export a program's roster in the import format (the management command export_roster).",
    )
    p.add_argument("--program", required=True, metavar="SLUG", help="the program's slug")
    p.add_argument("--format", choices=["csv", "xlsx"], default="csv", help="file format (csv)")
    p.add_argument("--output", metavar="FILE", help="where to write (default: standard output)")
    p.add_argument("--as", dest="as_user", metavar="USERNAME", help=AS_HELP)

    add(
        "check-db",
        cmd_check_db,
        "Print which database is in use, whether it answers, and pending migrations.",
    )

    from meded import workhours_cli

    p = add("check-hours", cmd_check_hours, workhours_cli.HELP, workhours_cli.EPILOG)
    workhours_cli.add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Handler | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    from django.core.management.base import CommandError

    try:
        return func(args)
    except CommandError as e:
        print(f"meded: {e}", file=sys.stderr)
        return getattr(e, "returncode", 1) or 1


if __name__ == "__main__":
    sys.exit(main())
