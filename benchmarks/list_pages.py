"""List pages at hospital scale: server time per page, median of several runs.

Builds a fresh database with the demo generator at the seeds' network scale (300 programs,
about 2,500 trainees, 10,000 clinical staff, 2,800 students), then requests each list page
in-process through Django's test client (server time only: no network, no browser) and
reports the median and the slowest run, with the number of SQL queries per page.

    python benchmarks/list_pages.py [--runs 15] [--json] [--database-url URL]

SQLite by default (a temporary file). With --database-url the database must be empty; it is
migrated and filled. The audit log gets --audit-entries rows (100,000 by default).
The bar from the issue: every list page under 100 ms of server time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

BAR_MS = 100.0


def setup_django(database_url: str | None) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["MEDED_VAR_DIR"] = tempfile.mkdtemp(prefix="meded-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "meded.settings_test"
    import django

    django.setup()


def build(audit_entries: int) -> dict[str, int]:
    from django.core.management import call_command

    from meded.audit.models import AuditEntry
    from meded.org.demo import load_demo
    from meded.org.models import Person, Program

    call_command("migrate", verbosity=0)
    sizes = load_demo()
    # A year of history: entries spread over programs and people, as imports would leave.
    programs = list(Program.objects.values_list("pk", flat=True))
    people = list(Person.objects.values_list("pk", "last_name")[:5000])
    AuditEntry.objects.bulk_create(
        (
            AuditEntry(
                actor_name="coordinator",
                action="update",
                object_type="org.person",
                object_id=str(people[i % len(people)][0]),
                object_repr=people[i % len(people)][1],
                changes={"status": ["active", "leave"]},
                program_id=programs[i % len(programs)],
                batch=f"bench-{i // 500}",
            )
            for i in range(audit_entries)
        ),
        batch_size=5000,
    )
    sizes["audit_entries"] = AuditEntry.objects.count()
    return sizes


def pages() -> list[tuple[str, str, str]]:
    """(persona, label, url) for every list page, widest scope first."""
    return [
        ("gme-admin", "programs", "/org/programs/"),
        ("gme-admin", "programs, search", "/org/programs/?q=cardio"),
        ("gme-admin", "programs, last page", "/org/programs/?page=6"),
        ("gme-admin", "people", "/org/people/"),
        ("gme-admin", "people, search", "/org/people/?q=nguyen"),
        ("gme-admin", "people, staff filter", "/org/people/?kind=staff"),
        ("gme-admin", "people, page 200", "/org/people/?page=200"),
        ("gme-admin", "roster, IM", "/org/programs/internal-medicine/roster/"),
        ("gme-admin", "program, IM", "/org/programs/internal-medicine/"),
        ("gme-admin", "sites", "/org/sites/"),
        ("gme-admin", "institutions", "/org/institutions/"),
        ("gme-admin", "institution, sponsor", "/org/institutions/mgh/"),
        ("gme-admin", "audit log", "/audit/"),
        ("gme-admin", "audit log, one person", "/audit/?object_type=org.person&object_id=42"),
        ("coordinator", "audit log (program scope)", "/audit/"),
        ("gme-admin", "API people", "/api/people?limit=50"),
        ("gme-admin", "API programs", "/api/programs?limit=50"),
        ("coordinator", "people (program scope)", "/org/people/"),
        ("coordinator", "roster, IM", "/org/programs/internal-medicine/roster/"),
        ("anonymous", "facts at a glance", "/"),
        ("anonymous", "public program page", "/programs/internal-medicine/"),
    ]


def measure(runs: int) -> list[dict[str, object]]:
    from django.contrib.auth.models import User
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients: dict[str, Client] = {"anonymous": Client()}
    for name in ("gme-admin", "coordinator"):
        c = Client()
        c.force_login(User.objects.get(username=name))
        clients[name] = c
    out = []
    for persona, label, url in pages():
        client = clients[persona]
        reset_queries()  # the log is a capped deque: a full one would count nothing
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(url)  # warm-up, and the query count
        queries = len(ctx.captured_queries)  # now: later requests clear the log
        if r.status_code != 200:
            raise SystemExit(f"{url} as {persona} answered {r.status_code}")
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        out.append(
            {
                "persona": persona,
                "page": label,
                "url": url,
                "median_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1),
                "queries": queries,
                "runs": runs,
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--json", action="store_true", help="one JSON object per page")
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--audit-entries", type=int, default=100_000)
    args = ap.parse_args(argv)
    setup_django(args.database_url)
    from django.db import connection

    t0 = time.perf_counter()
    sizes = build(args.audit_entries)
    build_s = time.perf_counter() - t0
    results = measure(args.runs)
    if args.json:
        for row in results:
            print(json.dumps(row))
        return 0
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, database: {connection.vendor}"
    )
    print(f"data: {sizes} (built in {build_s:.1f} s); {args.runs} runs per page after a warm-up")
    print(f"{'persona':<12} {'page':<26} {'median ms':>10} {'max ms':>8} {'queries':>8}")
    worst = 0.0
    for row in results:
        worst = max(worst, float(row["median_ms"]))  # type: ignore[arg-type]
        print(
            f"{row['persona']:<12} {row['page']:<26} {row['median_ms']:>10} "
            f"{row['max_ms']:>8} {row['queries']:>8}"
        )
    verdict = "PASS" if worst < BAR_MS else "FAIL"
    print(f"slowest median {worst:.1f} ms; bar {BAR_MS:.0f} ms: {verdict}")
    return 0 if worst < BAR_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
