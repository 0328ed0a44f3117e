from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "meded.jobs"
    label = "jobs"

    def ready(self) -> None:
        # The app's audit events join the registry the audit page filters by.
        from meded.jobs import events  # noqa: F401
