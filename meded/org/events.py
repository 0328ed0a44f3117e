"""The audit events of the organization (meded.audit.events)."""

from meded.audit.events import define

PERSON_CREATED = define("person.created", "Person added", "create")
PERSON_UPDATED = define("person.updated", "Person changed", "update")
APPOINTMENT_CREATED = define("appointment.created", "Appointment added", "create")
APPOINTMENT_UPDATED = define("appointment.updated", "Appointment changed", "update")
TRAINEE_YEAR_CREATED = define("trainee_year.created", "Training year added", "create")
TRAINEE_YEAR_UPDATED = define("trainee_year.updated", "Training year (PGY) changed", "update")
TRAINEES_IMPORTED = define("trainees.imported", "Trainee roster imported", "import")
TRAINEES_EXPORTED = define("trainees.exported", "Trainee roster exported", "export")
LEAVE_RECORDED = define("leave.recorded", "Leave of absence recorded", "create")
LEAVE_DELETED = define("leave.deleted", "Leave of absence deleted", "delete")
DEMO_LOADED = define("demo.loaded", "Demo data loaded", "import")
PROGRAM_UPDATED = define("program.updated", "Program changed", "update")
