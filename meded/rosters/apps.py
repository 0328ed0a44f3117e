from django.apps import AppConfig


class RostersConfig(AppConfig):
    name = "meded.rosters"
    label = "rosters"
    verbose_name = "Call and shift rosters"

    def ready(self) -> None:
        # The app's audit events join the registry the audit page filters by.
        # Published shifts join every person's calendar feed (meded.calendars.sources).
        from meded.calendars.sources import register
        from meded.core.attention import register_attention, register_panel

        # The roster generation job's runner joins meded.jobs.lifecycle's registry.
        from meded.rosters import (
            attention,
            events,  # noqa: F401
            tasks,  # noqa: F401
        )
        from meded.rosters.calendar import published_shifts

        register(published_shifts)
        # What needs the user, their next shifts and who is on call, on the home page.
        register_attention(attention.leadership_items)
        register_attention(attention.resident_items)
        register_panel(attention.next_shifts_panel)
        register_panel(attention.on_call_panel)
