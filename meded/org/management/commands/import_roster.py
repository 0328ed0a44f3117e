"""manage.py import_roster FILE --program SLUG [--dry-run] [--as USERNAME]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from meded.org.actions import do_import_roster
from meded.org.models import Program

# A progress bar appears for files with at least this many rows.
BAR_FROM_ROWS = 2000


class _Bar:
    """A tqdm bar on stderr, made once the size of the work is known and large enough."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.bar: Any = None

    def __call__(self, done: int, total: int, message: str) -> None:
        if self.bar is None:
            if total < 2 * BAR_FROM_ROWS:  # total counts each row twice (check, save)
                return
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="row", file=self.stream, leave=False)
        self.bar.set_description(message.split(":")[0][:30])
        self.bar.update(max(0, done - self.bar.n))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Command(BaseCommand):
    help = "Import a program's trainee roster from a CSV or XLSX file (all rows or none)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the roster file (.csv or .xlsx)")
        parser.add_argument("--program", required=True, metavar="SLUG", help="program slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and count, write nothing"
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="act as this user (their permission is checked and the audit log names "
            "them); without it the audit log names 'system'",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        program = Program.objects.filter(slug=options["program"]).first()
        if program is None:
            raise CommandError(f"No program with the slug {options['program']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        actor = None
        if options["as_user"]:
            actor = User.objects.filter(username=options["as_user"]).first()
            if actor is None:
                raise CommandError(f"No user named {options['as_user']!r}.")
        bar = _Bar(self.stderr._out)
        try:
            result = do_import_roster(
                actor,
                program,
                path.name,
                path.read_bytes(),
                dry_run=options["dry_run"],
                progress=bar,
                # Without --as there is no user to check: whoever can run manage.py already
                # holds the database. The audit log records "system" (command line).
                as_system=actor is None,
            )
        except PermissionDenied as e:
            raise CommandError(f"{options['as_user']} may not import this roster: {e}") from e
        finally:
            bar.close()
        for warning in result.warnings:
            self.stderr.write(warning)
        if result.errors:
            for error in result.errors:
                self.stdout.write(str(error))
            n = len(result.errors)
            raise CommandError(
                f"{n} problem{'s' if n != 1 else ''} found; nothing was changed.", returncode=1
            )
        self.stdout.write(self.style.SUCCESS(f"{program.name}: {result.summary}"))
