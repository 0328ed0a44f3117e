import datetime as dt
import re

import pytest
from django.utils import timezone

from meded.org.demo import SMALL
from meded.org.models import Appointment, Institution, Person, Program
from meded.public.facts import facts_at_a_glance
from meded.public.tests.helpers import expected_facts

pytestmark = pytest.mark.django_db


def shown(content: bytes, fact: str) -> int:
    m = re.search(rb'data-fact="' + fact.encode() + rb'">([\d,]+)<', content)
    assert m, f"{fact} not on the page"
    return int(m.group(1).replace(b",", b""))


def new_trainee(program: Program, **appointment: object) -> Appointment:
    today = timezone.localdate()
    person = Person.objects.create(first_name="Quill", last_name="Newcomer", kind="trainee")
    fields = {
        "start_date": today - dt.timedelta(days=30),
        "end_date": today + dt.timedelta(days=300),
        **appointment,
    }
    return Appointment.objects.create(
        person=person,
        kind="trainee",
        institution=program.institution,
        program=program,
        **fields,
    )


def test_every_fact_equals_an_independent_count_of_the_small_demo():
    today = timezone.localdate()
    facts = facts_at_a_glance()
    expected = expected_facts(today)
    got = {k: getattr(facts, k) for k in expected}
    assert got == expected
    assert facts.sponsor == "Massachusetts General Hospital"


def test_the_small_demo_gives_the_sponsor_the_programs_its_scale_asks_for():
    facts = facts_at_a_glance()
    assert facts.residency_programs == SMALL.sponsor_residencies
    assert facts.fellowship_programs == SMALL.sponsor_fellowships
    assert facts.network_programs == SMALL.network_programs
    assert 0 < facts.physician_trainees < facts.network_trainees
    assert facts.students_on_rotation == SMALL.students
    assert facts.clinical_staff_requiring_cme > SMALL.clinical_staff


def test_the_page_shows_the_computed_facts_to_an_anonymous_visitor(as_user):
    r = as_user(None).get("/")
    assert r.status_code == 200
    expected = expected_facts(timezone.localdate())
    for fact, value in expected.items():
        assert shown(r.content, fact) == value, fact
    for inst in Institution.objects.all():
        assert inst.name.encode() in r.content.replace(b"&#x27;", b"'")


@pytest.mark.parametrize(
    "persona",
    ["gme-admin", "director", "coordinator", "chief", "faculty", "resident", "surgery-coordinator"],
)
def test_every_signed_in_persona_sees_the_same_facts(as_user, persona):
    r = as_user(persona).get("/")
    assert r.status_code == 200
    assert shown(r.content, "physician_trainees") == facts_at_a_glance().physician_trainees


def test_the_outsider_persona_reaches_the_facts_page(as_user):
    r = as_user("outsider").get("/")
    assert r.status_code == 200
    assert b"Physician trainees" in r.content


def test_a_new_trainee_at_the_sponsor_raises_both_trainee_counts(im):
    before = facts_at_a_glance()
    new_trainee(im)
    after = facts_at_a_glance()
    assert after.physician_trainees == before.physician_trainees + 1
    assert after.network_trainees == before.network_trainees + 1


def test_a_trainee_elsewhere_in_the_network_raises_only_the_network_count():
    other = Program.objects.exclude(institution__is_sponsor=True).earliest("pk")
    before = facts_at_a_glance()
    new_trainee(other)
    after = facts_at_a_glance()
    assert after.physician_trainees == before.physician_trainees
    assert after.network_trainees == before.network_trainees + 1


@pytest.mark.parametrize(
    "change",
    [
        {"status": "withdrawn"},
        {"status": "completed"},
        {"end_date_days": -1},
        {"start_date_days": 1},
    ],
    ids=["withdrawn", "completed", "ended-yesterday", "starts-tomorrow"],
)
def test_a_trainee_who_is_not_currently_appointed_is_not_counted(im, change):
    today = timezone.localdate()
    before = facts_at_a_glance().physician_trainees
    fields: dict[str, object] = {}
    if "status" in change:
        fields["status"] = change["status"]
    if "end_date_days" in change:
        fields["start_date"] = today - dt.timedelta(days=100)
        fields["end_date"] = today + dt.timedelta(days=change["end_date_days"])
    if "start_date_days" in change:
        fields["start_date"] = today + dt.timedelta(days=change["start_date_days"])
    new_trainee(im, **fields)
    assert facts_at_a_glance().physician_trainees == before


def test_trainees_on_leave_or_extended_still_count(im):
    before = facts_at_a_glance().physician_trainees
    new_trainee(im, status="leave")
    new_trainee(im, status="extended", end_date=None)
    assert facts_at_a_glance().physician_trainees == before + 2


def test_a_new_fellowship_and_a_student_rotation_and_cme_staff_change_the_counts():
    sponsor = Institution.objects.get(is_sponsor=True)
    today = timezone.localdate()
    before = facts_at_a_glance()
    Program.objects.create(
        institution=sponsor,
        name="Brand New Fellowship",
        slug="brand-new-fellowship",
        kind="fellowship",
    )
    student = Person.objects.create(first_name="S", last_name="Tudent", kind="student")
    Appointment.objects.create(
        person=student,
        kind="student",
        institution=sponsor,
        start_date=today,
        end_date=today + dt.timedelta(weeks=4),
    )
    nurse = Person.objects.create(first_name="N", last_name="Urse", kind="staff", requires_cme=True)
    Appointment.objects.create(
        person=nurse, kind="staff", institution=sponsor, start_date=today - dt.timedelta(days=1)
    )
    after = facts_at_a_glance()
    assert after.fellowship_programs == before.fellowship_programs + 1
    assert after.network_programs == before.network_programs + 1
    assert after.students_on_rotation == before.students_on_rotation + 1
    assert after.clinical_staff_requiring_cme == before.clinical_staff_requiring_cme + 1


def test_a_student_rotation_of_last_academic_year_is_not_counted():
    sponsor = Institution.objects.get(is_sponsor=True)
    year = facts_at_a_glance().academic_year
    start = dt.date(int(year[:4]) - 1, 9, 1)
    before = facts_at_a_glance().students_on_rotation
    student = Person.objects.create(first_name="Old", last_name="Rotation", kind="student")
    Appointment.objects.create(
        person=student,
        kind="student",
        institution=sponsor,
        start_date=start,
        end_date=start + dt.timedelta(weeks=6),
    )
    assert facts_at_a_glance().students_on_rotation == before


def test_programs_by_kind_sums_to_the_sponsor_programs():
    facts = facts_at_a_glance()
    by_kind = {k.kind: k.count for k in facts.programs_by_kind}
    sponsor = Institution.objects.get(is_sponsor=True)
    assert sum(by_kind.values()) == Program.objects.filter(institution=sponsor).count()
    assert by_kind["residency"] == facts.residency_programs
    assert max(k.percent for k in facts.programs_by_kind) == 100


def test_the_facts_take_a_fixed_handful_of_queries_however_many_programs(
    as_user, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        facts_at_a_glance()
    sponsor = Institution.objects.get(is_sponsor=True)
    Program.objects.bulk_create(
        Program(institution=sponsor, name=f"Extra {i}", slug=f"extra-{i}") for i in range(40)
    )
    with django_assert_max_num_queries(6):
        facts = facts_at_a_glance()
    assert facts.residency_programs == SMALL.sponsor_residencies + 40
    client = as_user(None)
    with django_assert_max_num_queries(8):
        assert client.get("/").status_code == 200


def test_without_a_sponsor_the_page_still_answers_with_zero_sponsor_facts(as_user):
    Institution.objects.update(is_sponsor=False)
    facts = facts_at_a_glance()
    assert facts.sponsor is None
    assert facts.residency_programs == 0
    assert facts.physician_trainees == 0
    assert facts.network_programs == SMALL.network_programs
    r = as_user(None).get("/")
    assert r.status_code == 200
    assert b"No sponsoring institution" in r.content
