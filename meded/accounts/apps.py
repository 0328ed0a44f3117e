from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "meded.accounts"
    label = "accounts"
