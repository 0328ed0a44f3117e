from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The signed-in home page: what needs each persona, gathered from every app through
    meded.core.attention. It sits above every app (it shows them all) and knows none."""

    name = "meded.home"
    label = "home"
