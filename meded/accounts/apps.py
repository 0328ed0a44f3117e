from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "meded.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Importing it registers the app's audit events (meded.audit.events).
        from meded.accounts import events  # noqa: F401
