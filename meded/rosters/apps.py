from django.apps import AppConfig


class RostersConfig(AppConfig):
    name = "meded.rosters"
    label = "rosters"
    verbose_name = "Call and shift rosters"

    def ready(self) -> None:
        # Published shifts join every person's calendar feed (meded.calendars.sources).
        from meded.calendars.sources import register
        from meded.rosters.calendar import published_shifts

        register(published_shifts)
