from django.apps import AppConfig


class SchedulesConfig(AppConfig):
    name = "meded.schedules"
    label = "schedules"
    verbose_name = "Rotation schedules"
