from django.apps import AppConfig


class SchedulesConfig(AppConfig):
    name = "meded.schedules"
    label = "schedules"
    verbose_name = "Rotation schedules"

    def ready(self) -> None:
        from meded.core.attention import register_attention, register_panel

        # The app's audit events join the registry the audit page filters by.
        # The solve job's runner joins meded.jobs.lifecycle's registry.
        from meded.schedules import (
            attention,
            events,  # noqa: F401
            tasks,  # noqa: F401
        )

        # What needs the user, and their rotation, on the home page (meded.core.attention).
        register_attention(attention.leadership_items)
        register_attention(attention.resident_items)
        register_panel(attention.my_rotation_panel)
        register_panel(attention.current_block_panel)
