"""Entries written before events were typed get the event their table, verb and note imply
(the same names the apps define now); anything else gets "<model>.<verb>"."""

from django.db import migrations

PAST = {"create": "created", "update": "updated", "delete": "deleted", "import": "imported",
        "export": "exported"}
BY_TYPE = {
    ("org.person", "create"): "person.created",
    ("org.person", "update"): "person.updated",
    ("org.appointment", "create"): "appointment.created",
    ("org.appointment", "update"): "appointment.updated",
    ("org.traineeyear", "create"): "trainee_year.created",
    ("org.traineeyear", "update"): "trainee_year.updated",
    ("org.program", "import"): "trainees.imported",
    ("org.program", "export"): "trainees.exported",
    ("org.leave", "create"): "leave.recorded",
    ("org.leave", "delete"): "leave.deleted",
    ("org.institution", "import"): "demo.loaded",
    ("schedules.assignment", "create"): "schedule.cell_changed",
    ("schedules.assignment", "update"): "schedule.cell_changed",
    ("schedules.assignment", "delete"): "schedule.cell_changed",
    ("schedules.vacationrequest", "create"): "vacation.requested",
    ("schedules.electivepreference", "update"): "electives.ranked",
    ("schedules.timingwish", "create"): "wish.added",
    ("schedules.timingwish", "delete"): "wish.withdrawn",
    ("schedules.rotation", "create"): "rotation.created",
    ("schedules.rotation", "update"): "rotation.changed",
    ("schedules.rotation", "delete"): "rotation.deleted",
    ("rosters.shift", "create"): "shift.added",
    ("rosters.shift", "delete"): "shift.removed",
    ("rosters.swaprequest", "create"): "swap.proposed",
    ("rosters.rostersettings", "update"): "roster_settings.changed",
    ("rosters.shifttemplate", "create"): "shift_template.created",
    ("rosters.shifttemplate", "update"): "shift_template.changed",
    ("calendars.calendarfeed", "create"): "calendar_feed.issued",
    ("calendars.calendarfeed", "update"): "calendar_feed.reset",
}
BY_NOTE = [  # (object type, verb, note starts with, event)
    ("schedules.scheduleversion", "create", "from version", "schedule.copied"),
    ("schedules.scheduleversion", "create", "", "schedule.solve_queued"),
    ("schedules.scheduleversion", "update", "published", "schedule.published"),
    ("schedules.scheduleversion", "update", "unpublished", "schedule.unpublished"),
    ("schedules.scheduleversion", "update", "solved", "schedule.solved"),
    ("schedules.scheduleyear", "update", "schedule calendar", "schedule_year.changed"),
    ("schedules.scheduleyear", "update", "", "rules.changed"),
    ("rosters.roster", "update", "roster generation started", "roster.generation_queued"),
    ("rosters.roster", "update", "generated", "roster.generated"),
    ("rosters.roster", "update", "published", "roster.published"),
    ("rosters.shift", "update", "swap request", "shift.swapped"),
    ("rosters.shift", "update", "", "shift.reassigned"),
]


def event_for(object_type, action, note, changes):
    if (object_type, action) in BY_TYPE:
        return BY_TYPE[object_type, action]
    for kind, verb, prefix, event in BY_NOTE:
        if kind == object_type and verb == action and note.startswith(prefix):
            return event
    status = (changes or {}).get("status")
    if object_type == "rosters.swaprequest" and isinstance(status, list) and len(status) == 2:
        new = {"pending": "accepted", "declined": "declined", "approved": "approved",
               "auto_approved": "auto_approved", "withdrawn": "withdrawn"}.get(status[1])
        if new:
            return f"swap.{new}"
    if object_type in ("schedules.vacationrequest", "schedules.timingwish") and isinstance(
        status, list
    ):
        area = "vacation" if object_type.endswith("request") else "wish"
        new = {"approved": "approved" if area == "vacation" else "accepted",
               "declined": "declined", "pending": "reopened"}.get(status[1] if status else "")
        if new:
            return f"{area}.{new}"
    model = object_type.rsplit(".", 1)[-1] or "entry"
    return f"{model}.{PAST.get(action, action)}"


def backfill(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    batch = []
    for entry in AuditEntry.objects.filter(event="").only(
        "pk", "object_type", "action", "note", "changes"
    ).iterator(chunk_size=2000):
        entry.event = event_for(entry.object_type, entry.action, entry.note or "", entry.changes)
        batch.append(entry)
        if len(batch) >= 2000:
            AuditEntry.objects.bulk_update(batch, ["event"])
            batch = []
    if batch:
        AuditEntry.objects.bulk_update(batch, ["event"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_audit_event")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
