from django.apps import AppConfig


class RostersConfig(AppConfig):
    name = "meded.rosters"
    label = "rosters"
    verbose_name = "Call and shift rosters"

    def ready(self) -> None:
        # Importing these registers the app's audit events (meded.audit.events) and the
        # roster generation job's runner (meded.jobs.lifecycle).
        from meded.calendars.sources import register
        from meded.rosters import events, tasks  # noqa: F401
        from meded.rosters.calendar import published_shifts

        # Published shifts join every person's calendar feed.
        register(published_shifts)
