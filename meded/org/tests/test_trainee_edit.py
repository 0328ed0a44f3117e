"""Editing one trainee's record from their page: validated, audited, for managers only."""

import pytest

from meded.audit.models import AuditEntry
from meded.org import queries
from meded.org.models import Appointment, Person, Site, TraineeYear

pytestmark = pytest.mark.django_db


def resident_appointment():
    return Appointment.objects.get(person__user__username="resident", kind="trainee")


def form_data(appt, **overrides):
    person = appt.person
    year = queries.current_year()
    data = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "preferred_name": person.preferred_name,
        "degrees": person.degrees,
        "email": person.email,
        "npi": person.npi,
        "medical_school": person.medical_school,
        "track": appt.track_id,
        "pgy": appt.years.get(academic_year=year).pgy,
        "status": appt.status,
        "continuity_site": appt.continuity_site_id or "",
        "start_date": appt.start_date.isoformat(),
        "end_date": appt.end_date.isoformat() if appt.end_date else "",
    }
    data.update(overrides)
    return data


def url(appt):
    return f"/org/trainees/{appt.pk}/edit/"


def test_a_coordinator_puts_a_resident_on_leave_and_the_audit_log_has_old_and_new(as_user):
    appt = resident_appointment()
    r = as_user("coordinator").post(url(appt), form_data(appt, status="leave"))
    assert r.status_code == 302
    appt.refresh_from_db()
    assert appt.status == "leave"
    entry = AuditEntry.objects.get(object_type="org.appointment", object_id=str(appt.pk))
    assert entry.changes == {"status": ["active", "leave"]}
    assert entry.actor_name == "coordinator"
    assert entry.program_id == appt.program_id


def test_changing_this_years_pgy_is_audited_on_the_trainee_year(as_user):
    appt = resident_appointment()
    as_user("director").post(url(appt), form_data(appt, pgy=3))
    ty = TraineeYear.objects.get(appointment=appt, academic_year=queries.current_year())
    assert ty.pgy == 3
    entry = AuditEntry.objects.get(object_type="org.traineeyear", object_id=str(ty.pk))
    assert entry.changes == {"pgy": [2, 3]}


def test_saving_without_changes_writes_nothing(as_user):
    appt = resident_appointment()
    before = AuditEntry.objects.count()
    r = as_user("coordinator").post(url(appt), form_data(appt))
    assert r.status_code == 302
    assert AuditEntry.objects.count() == before


def test_it_refuses_a_pgy_beyond_the_preliminary_track_naming_the_field(as_user, im):
    appt = resident_appointment()
    prelim = im.tracks.get(code="preliminary")
    r = as_user("coordinator").post(
        url(appt), form_data(appt, track=prelim.pk, pgy=2, continuity_site="")
    )
    assert r.status_code == 200
    assert "out of range for the Preliminary track" in r.context["form"].errors["pgy"][0]
    appt.refresh_from_db()
    assert appt.track.code == "categorical"


def test_it_refuses_a_site_that_does_not_offer_the_track(as_user):
    appt = resident_appointment()
    primary_only = Site.objects.get(code="broadway-revere")
    assert [t.code for t in primary_only.tracks.all()] == ["primary-care"]
    r = as_user("coordinator").post(url(appt), form_data(appt, continuity_site=primary_only.pk))
    assert "does not offer" in r.context["form"].errors["continuity_site"][0]


def test_it_refuses_an_email_that_belongs_to_someone_else(as_user):
    appt = resident_appointment()
    other = Person.objects.get(user__username="chief")
    assert other.email
    r = as_user("coordinator").post(url(appt), form_data(appt, email=other.email.upper()))
    assert "already belongs to another person" in r.context["form"].errors["email"][0]
    assert AuditEntry.objects.filter(object_type="org.person").count() == 0


def test_it_refuses_an_end_before_the_start(as_user):
    appt = resident_appointment()
    r = as_user("coordinator").post(url(appt), form_data(appt, end_date="2001-01-01"))
    assert "before the start" in r.context["form"].errors["end_date"][0]


@pytest.mark.parametrize(
    "who,status",
    [
        ("chief", 403),
        ("faculty", 403),
        ("resident", 404),
        ("outsider", 404),
        ("surgery-coordinator", 404),
    ],
)
def test_only_program_managers_may_edit_a_trainee(as_user, who, status):
    appt = resident_appointment()
    client = as_user(who)
    assert client.get(url(appt)).status_code == status
    assert client.post(url(appt), form_data(appt, status="withdrawn")).status_code == status
    appt.refresh_from_db()
    assert appt.status == "active"


def test_an_anonymous_visitor_is_sent_to_sign_in(as_user):
    r = as_user(None).get(url(resident_appointment()))
    assert r.status_code == 302


def test_the_person_page_offers_edit_to_a_coordinator_only(as_user):
    appt = resident_appointment()
    page = f"/org/people/{appt.person_id}/"
    assert url(appt).encode() in as_user("coordinator").get(page).content
    assert url(appt).encode() not in as_user("chief").get(page).content


def opened_form(client, appt):
    """The hidden token of the form as it opens now (what the editor's browser holds)."""
    form = client.get(url(appt)).context["form"]
    return form.initial["base"]


def test_a_save_from_a_form_opened_before_another_save_is_refused_and_says_what_changed(
    as_user, users
):
    from meded.org.actions import do_update_trainee

    appt = resident_appointment()
    coordinator = as_user("coordinator")
    base = opened_form(coordinator, appt)
    # The director changes the e-mail while the coordinator's form is open.
    do_update_trainee(users["director"], appt, {"email": "new.address@hospital.example"})
    r = coordinator.post(url(appt), form_data(appt, status="leave", base=base))
    assert r.status_code == 409
    html = r.content.decode()
    assert "Someone else changed this record" in html and "new.address@hospital.example" in html
    appt.refresh_from_db()
    assert appt.status == "active"  # nothing of the stale save was written
    assert appt.person.email == "new.address@hospital.example"  # nor undone
    # The page now holds the record as it is: saving again applies the change knowingly.
    fresh = r.context["form"].data["base"]
    r = coordinator.post(url(appt), form_data(appt, status="leave", base=fresh))
    assert r.status_code == 302
    appt.refresh_from_db()
    assert appt.status == "leave" and appt.person.email == "new.address@hospital.example"


def test_a_forged_form_token_is_refused(as_user):
    appt = resident_appointment()
    r = as_user("coordinator").post(url(appt), form_data(appt, status="leave", base="forged"))
    assert r.status_code == 200 and "out of date" in r.content.decode()
    appt.refresh_from_db()
    assert appt.status == "active"
