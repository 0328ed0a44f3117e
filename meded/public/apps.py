from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "meded.public"
    label = "public"
