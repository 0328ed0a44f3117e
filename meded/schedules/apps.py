from django.apps import AppConfig


class SchedulesConfig(AppConfig):
    name = "meded.schedules"
    label = "schedules"
    verbose_name = "Rotation schedules"

    def ready(self) -> None:
        # The app's audit events join the registry the audit page filters by.
        # The solve job's runner joins meded.jobs.lifecycle's registry.
        from meded.schedules import (
            events,  # noqa: F401
            tasks,  # noqa: F401
        )
