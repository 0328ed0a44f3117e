import html

import pytest
from django.utils import timezone

from meded.org.models import Appointment, Person, Program, Site
from meded.public.facts import program_page
from meded.public.tests.helpers import held_on, live_counts

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def site_card(page: str, code: str) -> str:
    start = page.index(f'data-site="{code}"')
    end = page.find("data-site=", start + 1)
    return page[start : end if end != -1 else len(page)]


def test_an_anonymous_visitor_sees_the_program_description_and_tracks(as_user, im):
    r = as_user(None).get(f"/programs/{im.slug}/")
    assert r.status_code == 200
    page = text(r)
    assert im.name in page
    assert im.description in page
    for track in im.tracks.all():
        assert track.name in page
        assert track.description in page


def test_the_outsider_persona_reaches_the_program_page(as_user, im):
    r = as_user("outsider").get(f"/programs/{im.slug}/")
    assert r.status_code == 200
    assert "Continuity Practice Sites" in text(r)


def test_each_continuity_site_shows_tracks_published_range_live_count_and_description(as_user, im):
    page = text(as_user(None).get(f"/programs/{im.slug}/"))
    counts = live_counts(im)
    sites = list(Site.objects.filter(tracks__program=im).distinct())
    assert len(sites) == 13
    assert sum(counts.values()) > 0
    for site in sites:
        card = site_card(page, site.code)
        assert site.name in card
        assert site.description in card
        assert f"<span data-placed-label>{site.residents_placed_label}</span>" in card
        assert f"<span data-current>{counts.get(site.code, 0)}</span>" in card


def test_site_tracks_read_like_the_published_list(as_user, im):
    page = text(as_user(None).get(f"/programs/{im.slug}/"))
    assert "Categorical and Primary Care Tracks" in site_card(page, "beacon-hill")
    assert "Primary Care Track" in site_card(page, "broadway-revere")
    assert "Categorical Track" in site_card(page, "downtown")
    assert "Categorical, Primary Care and Global Primary Care Tracks" in site_card(page, "chelsea")
    assert "Residents Placed: <span data-placed-label>20+</span>" in site_card(page, "bmg")


def test_moving_a_resident_to_another_site_changes_both_live_counts(im):
    today = timezone.localdate()
    beacon = Site.objects.get(code="beacon-hill")
    appt = next(
        a
        for a in Appointment.objects.filter(program=im, kind="trainee", continuity_site__code="ima")
        if held_on(a, today)
    )
    before = {s.code: s.current_residents for s in program_page(im).sites}
    appt.continuity_site = beacon
    appt.save()
    after = {s.code: s.current_residents for s in program_page(im).sites}
    assert after["ima"] == before["ima"] - 1
    assert after["beacon-hill"] == before["beacon-hill"] + 1
    assert after == {**before, **live_counts(im)}


def test_a_withdrawn_resident_leaves_the_site_count_and_the_program_total(im):
    today = timezone.localdate()
    appt = next(
        a
        for a in Appointment.objects.filter(program=im, kind="trainee", continuity_site__code="ima")
        if held_on(a, today)
    )
    before = program_page(im)
    Appointment.objects.filter(pk=appt.pk).update(status="withdrawn")
    after = program_page(im)
    assert after.current_residents == before.current_residents - 1
    ima = {s.code: s.current_residents for s in after.sites}["ima"]
    assert ima == {s.code: s.current_residents for s in before.sites}["ima"] - 1


def test_the_program_total_counts_current_residents_once(im):
    today = timezone.localdate()
    expected = {
        a.person_id
        for a in Appointment.objects.filter(program=im, kind="trainee")
        if held_on(a, today)
    }
    assert program_page(im).current_residents == len(expected) > 0


def test_no_resident_name_or_email_appears_on_the_public_pages(as_user, im):
    client = as_user(None)
    pages = [
        text(client.get(f"/programs/{im.slug}/")),
        text(client.get("/programs/")),
        text(client.get("/")),
    ]
    people = Person.objects.filter(appointments__program=im, appointments__kind="trainee")
    assert people.count() > 10
    assert people.filter(first_name="Taylor", last_name="Brookfield").exists()
    for person in people:
        for page in pages:
            assert f"{person.first_name} {person.last_name}" not in page
            assert person.sort_name not in page
            if person.email:
                assert person.email not in page


def test_a_program_that_is_not_public_answers_404_and_leaves_the_index(as_user, surgery):
    client = as_user(None)
    assert client.get(f"/programs/{surgery.slug}/").status_code == 200
    assert f"/programs/{surgery.slug}/" in text(client.get("/programs/"))
    Program.objects.filter(pk=surgery.pk).update(is_public=False)
    assert client.get(f"/programs/{surgery.slug}/").status_code == 404
    assert as_user("surgery-coordinator").get(f"/programs/{surgery.slug}/").status_code == 404
    assert f"/programs/{surgery.slug}/" not in text(client.get("/programs/"))


def test_an_unknown_program_answers_404(as_user):
    assert as_user(None).get("/programs/no-such-program/").status_code == 404


def test_the_index_lists_every_public_program_and_filters_by_kind(as_user):
    client = as_user(None)
    page = text(client.get("/programs/"))
    for p in Program.objects.all():
        assert f'href="/programs/{p.slug}/"' in page
    fellowships = text(client.get("/programs/?kind=fellowship"))
    for p in Program.objects.all():
        assert (f'href="/programs/{p.slug}/"' in fellowships) == (p.kind == "fellowship")
    assert client.get("/programs/?kind=bogus").status_code == 200


def test_the_program_page_takes_a_fixed_number_of_queries(
    as_user, im, django_assert_max_num_queries
):
    client = as_user(None)
    with django_assert_max_num_queries(6):
        assert client.get(f"/programs/{im.slug}/").status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get("/programs/").status_code == 200


def test_a_program_without_sites_has_no_continuity_section(as_user, surgery):
    r = as_user(None).get(f"/programs/{surgery.slug}/")
    assert r.status_code == 200
    assert "Continuity Practice Sites" not in text(r)
