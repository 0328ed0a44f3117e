import pytest

from meded.org.models import Program

pytestmark = pytest.mark.django_db


def test_the_gme_office_sees_every_program(as_user):
    r = as_user("gme-admin").get("/org/programs/")
    assert r.context["listing"].page.paginator.count == Program.objects.count()


def test_a_director_sees_only_their_program(as_user, im):
    r = as_user("director").get("/org/programs/")
    assert [p.slug for p in r.context["listing"].items] == [im.slug]


def test_programs_filter_by_kind_and_search(as_user):
    client = as_user("gme-admin")
    r = client.get("/org/programs/", {"kind": "fellowship"})
    assert (
        r.context["listing"].page.paginator.count
        == Program.objects.filter(kind="fellowship").count()
    )
    r = client.get("/org/programs/", {"q": "internal medicine"})
    assert "internal-medicine" in [p.slug for p in r.context["listing"].items]


def test_the_sites_page_shows_tracks_and_published_ranges(as_user):
    r = as_user("coordinator").get("/org/sites/")
    assert b"Bulfinch Medical Group" in r.content
    assert b"20+" in r.content
    assert b"Global Primary Care" in r.content
