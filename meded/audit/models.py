"""The audit log: who changed what, when, with old and new values. Every action writes here."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"
        IMPORT = "import", "Imported"
        EXPORT = "export", "Exported"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    # Kept as text too so the entry still reads right after the user is gone.
    actor_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    # The typed event (meded.audit.events), e.g. "swap.approved"; `action` is its verb.
    event = models.CharField(max_length=60, blank=True)
    # "org.person", "org.appointment", ... and the primary key, as text (any key type fits).
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    # {"field": [old, new], ...}; for a create the old side is null.
    changes = models.JSONField(default=dict, blank=True)
    # Other structured facts of the event: {"block": 7, "version": 3}, {"job": "..."}.
    data = models.JSONField(default=dict, blank=True)
    # The program the change belongs to, so a program's staff see its history.
    program = models.ForeignKey(
        "org.Program", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The person the change is about (a person row, their appointment, their PGY year, ...),
    # so one person's whole history is one filter. A plain id: history outlives the person.
    person_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Entries written by one operation (an import) share a batch id and a note.
    batch = models.CharField(max_length=64, blank=True, db_index=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["program", "-at"]),
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["event", "-at"]),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.event} {self.object_repr}"

    @property
    def event_label(self) -> str:
        from meded.audit.events import label_of

        return label_of(self.event)
