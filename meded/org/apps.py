from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "meded.org"
    label = "org"

    def ready(self) -> None:
        # The app's audit events join the registry the audit page filters by.
        # The roster import job's runner joins meded.jobs.lifecycle's registry.
        from meded.org import (
            events,  # noqa: F401
            tasks,  # noqa: F401
        )
