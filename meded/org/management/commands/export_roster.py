"""manage.py export_roster --program SLUG [--format csv|xlsx] [--output FILE|-]"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from meded.org.actions import do_export_roster
from meded.org.models import Program


class Command(BaseCommand):
    help = "Export a program's roster in the import format (recorded in the audit log)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", required=True, metavar="SLUG", help="program slug")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument(
            "--output", default="-", metavar="FILE", help="where to write ('-': standard output)"
        )
        parser.add_argument("--as", dest="as_user", metavar="USERNAME", help="act as this user")

    def handle(self, *args: Any, **options: Any) -> None:
        program = Program.objects.filter(slug=options["program"]).first()
        if program is None:
            raise CommandError(f"No program with the slug {options['program']!r}.")
        fmt, output = options["format"], options["output"]
        if output == "-" and fmt == "xlsx" and sys.stdout.isatty():
            raise CommandError("An XLSX file would garble the terminal: pass --output FILE.")
        actor = None
        if options["as_user"]:
            actor = User.objects.filter(username=options["as_user"]).first()
            if actor is None:
                raise CommandError(f"No user named {options['as_user']!r}.")
        try:
            # Without --as: the command line is trusted (it holds the database already); the
            # audit log records "system".
            export = do_export_roster(actor, program, fmt, as_system=actor is None)
        except PermissionDenied as e:
            raise CommandError(f"{options['as_user']} may not export this roster: {e}") from e
        if output == "-":
            if fmt == "csv":
                self.stdout.write(export.content.decode("utf-8-sig"), ending="")
            else:
                out = getattr(self.stdout._out, "buffer", None) or sys.stdout.buffer
                out.write(export.content)
                out.flush()
            return
        Path(output).write_bytes(export.content)
        self.stderr.write(f"Wrote {export.rows} residents to {output}")
