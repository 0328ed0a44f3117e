from django.apps import AppConfig


class CoreConfig(AppConfig):
    verbose_name = "Core"
    name = "meded.core"
    label = "core"

    def ready(self) -> None:
        from django.conf import settings

        from meded.core.startup import refuse_to_start_if_insecure

        refuse_to_start_if_insecure(debug=settings.DEBUG, secret_key=settings.SECRET_KEY)
