from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "meded.org"
    label = "org"

    def ready(self) -> None:
        # Importing these registers the app's audit events (meded.audit.events) and the
        # roster import job's runner (meded.jobs.lifecycle).
        from meded.core import viewers
        from meded.org import access, events, tasks  # noqa: F401

        # The services below the organization (jobs, the audit log) ask who is asking here.
        viewers.provide(access.viewer_for)
