from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "meded.calendars"
    label = "calendars"
    verbose_name = "Calendar subscriptions"

    def ready(self) -> None:
        # The app's audit events join the registry the audit page filters by.
        from meded.calendars import events  # noqa: F401
