from django.apps import AppConfig


class RostersConfig(AppConfig):
    name = "meded.rosters"
    label = "rosters"
    verbose_name = "Call and shift rosters"

    def ready(self) -> None:
        # Importing these registers the app's audit events (meded.audit.events) and the
        # roster generation job's runner (meded.jobs.lifecycle).
        from meded.calendars.sources import register
        from meded.core.attention import register_attention, register_panel
        from meded.rosters import attention, events, tasks  # noqa: F401
        from meded.rosters.calendar import published_shifts

        # Published shifts join every person's calendar feed.
        register(published_shifts)
        # What needs the user, their next shifts and who is on call, on the home page.
        register_attention(attention.leadership_items)
        register_attention(attention.resident_items)
        register_panel(attention.next_shifts_panel)
        register_panel(attention.on_call_panel)
