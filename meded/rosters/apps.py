from django.apps import AppConfig


class RostersConfig(AppConfig):
    name = "meded.rosters"
    label = "rosters"
    verbose_name = "Call and shift rosters"

    def ready(self) -> None:
        # The app's audit events join the registry the audit page filters by.
        # Published shifts join every person's calendar feed (meded.calendars.sources).
        from meded.calendars.sources import register

        # The roster generation job's runner joins meded.jobs.lifecycle's registry.
        from meded.rosters import (
            events,  # noqa: F401
            tasks,  # noqa: F401
        )
        from meded.rosters.calendar import published_shifts

        register(published_shifts)
