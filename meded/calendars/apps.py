from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "meded.calendars"
    label = "calendars"
    verbose_name = "Calendar subscriptions"
