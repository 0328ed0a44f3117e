from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "meded.jobs"
    label = "jobs"

    def ready(self) -> None:
        from meded.core.attention import register_attention

        # The app's audit events join the registry the audit page filters by.
        from meded.jobs import (
            attention,
            events,  # noqa: F401
        )

        # Jobs that ended lately, on the home page (meded.core.attention).
        register_attention(attention.recent_jobs)
