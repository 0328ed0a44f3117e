"""Set up the demo's rotation schedule (rotations, the year's rules, a few requests)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from meded.org.models import AcademicYear, Program
from meded.schedules.demo import load_schedule_demo
from meded.schedules.models import Rotation


class Command(BaseCommand):
    help = "Load the demo rotation schedule configuration for a program (default IM)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--program", default="internal-medicine", help="program slug")
        parser.add_argument("--year", default="", help="academic year name (default: current)")

    def handle(self, *args: Any, **options: Any) -> None:
        program = Program.objects.filter(slug=options["program"]).first()
        if program is None:
            raise CommandError(f"No program {options['program']!r}; load the demo first.")
        year = None
        if options["year"]:
            year = AcademicYear.objects.filter(name=options["year"]).first()
            if year is None:
                raise CommandError(f"No academic year {options['year']!r}.")
        try:
            sy = load_schedule_demo(program, year)
        except ValueError as e:
            raise CommandError(str(e)) from e
        n = Rotation.objects.filter(program=program).count()
        self.stdout.write(
            f"Schedule year {sy.academic_year} of {program.name}: {sy.n_blocks} blocks, "
            f"{n} rotations, /schedules/{program.slug}/{sy.pk}/"
        )
