from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "meded.audit"
    label = "audit"
