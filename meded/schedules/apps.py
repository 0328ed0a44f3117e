from django.apps import AppConfig


class SchedulesConfig(AppConfig):
    name = "meded.schedules"
    label = "schedules"
    verbose_name = "Rotation schedules"

    def ready(self) -> None:
        # Importing these registers the app's audit events (meded.audit.events) and the solve
        # job's runner (meded.jobs.lifecycle).
        from meded.calendars.sources import register
        from meded.core.attention import register_attention, register_panel
        from meded.schedules import attention, events, tasks  # noqa: F401
        from meded.schedules.calendar import published_rotations

        # Published rotation blocks join every person's calendar feed.
        register(published_rotations)
        # What needs the user, and their rotation, on the home page (meded.core.attention).
        register_attention(attention.leadership_items)
        register_attention(attention.resident_items)
        register_panel(attention.my_rotation_panel)
        register_panel(attention.current_block_panel)
