from django.apps import AppConfig


class SchedulesConfig(AppConfig):
    name = "meded.schedules"
    label = "schedules"
    verbose_name = "Rotation schedules"

    def ready(self) -> None:
        # Importing these registers the app's audit events (meded.audit.events) and the solve
        # job's runner (meded.jobs.lifecycle).
        from meded.calendars.sources import register
        from meded.schedules import events, tasks  # noqa: F401
        from meded.schedules.calendar import published_rotations

        # Published rotation blocks join every person's calendar feed.
        register(published_rotations)
