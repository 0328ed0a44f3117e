from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "meded.org"
    label = "org"
