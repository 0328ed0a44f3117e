from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "meded.jobs"
    label = "jobs"
