"""The malformed requests that once answered 500 (on PostgreSQL) answer 4xx with a message
naming the field, on pages and in the API: a NUL byte in a text parameter or a path segment,
limit/offset beyond the database's integers, dates such as 9999-12-31 or 2026-13-45, a month
of year 9999, a cursor or person id with '²' (which str.isdigit() accepts and int() does not).
"""

from __future__ import annotations

from typing import Any

import pytest

from meded.core import inputs

pytestmark = pytest.mark.django_db

BAD_DATES = ["9999-12-31", "2026-13-45"]


def named_in_api_error(response: Any, field: str) -> bool:
    """ninja's 422 names the field in a `loc`; our 400 starts its detail with it."""
    detail = response.json()["detail"]
    if isinstance(detail, list):
        return any(field in [str(p) for p in d.get("loc", [])] for d in detail)
    return str(detail).startswith(f"{field}:") or f" {field}:" in str(detail)


def assert_api_refuses(response: Any, field: str) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert named_in_api_error(response, field), response.json()


def assert_page_refuses(response: Any, field: str) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert f"{field}:" in response.content.decode(), response.content.decode()[:2000]


# --- A NUL byte -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/people", "/api/programs"])
def test_the_api_refuses_a_nul_byte_in_a_text_parameter_naming_it(as_user, url):
    assert_api_refuses(as_user("director").get(url, {"q": "a\x00b"}), "q")


@pytest.mark.parametrize("url", ["/org/people/", "/org/programs/"])
def test_a_page_refuses_a_nul_byte_in_a_text_parameter_naming_it(as_user, url):
    assert_page_refuses(as_user("director").get(url, {"q": "a\x00b"}), "q")


def test_the_api_refuses_a_nul_byte_in_a_path_segment(as_user):
    r = as_user("director").get("/api/programs/a%00b/roster")
    assert 400 <= r.status_code < 500
    assert "path" in str(r.json()["detail"]) or named_in_api_error(r, "slug")


def test_a_page_refuses_a_nul_byte_in_a_path_segment_naming_the_path(as_user):
    assert_page_refuses(as_user("director").get("/rosters/a%00b/meals/"), "path")


def test_a_nul_byte_in_a_json_body_is_refused_naming_its_place(as_user, im):
    r = as_user("resident").post(
        f"/api/rosters/{im.slug}/swaps",
        {"shift_id": 1, "to_appointment_id": 1, "note": "hi\x00"},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json()["detail"].startswith("body.note:")


def test_the_text_type_of_the_api_refuses_a_nul_byte_on_its_own():
    """The signature's own check, behind the middleware's."""
    from pydantic import TypeAdapter, ValidationError

    with pytest.raises(ValidationError, match="NUL"):
        TypeAdapter(inputs.Text).validate_python("a\x00b")


# --- limit and offset -----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/people", "/api/programs"])
@pytest.mark.parametrize(
    ("field", "value"),
    [("limit", str(10**20)), ("limit", "501"), ("offset", str(2**63)), ("offset", "-1")],
)
def test_the_api_refuses_limit_and_offset_beyond_their_bounds(as_user, url, field, value):
    assert_api_refuses(as_user("director").get(url, {field: value}), field)


def test_the_audit_api_refuses_a_limit_beyond_its_bound(as_user):
    assert_api_refuses(as_user("gme-admin").get("/api/audit/entries", {"limit": "9" * 25}), "limit")


# --- Dates and months -----------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize("field", ["start", "end"])
def test_my_shifts_in_the_api_refuse_a_date_out_of_the_calendar(as_user, field, value):
    assert_api_refuses(as_user("resident").get("/api/rosters/me/shifts", {field: value}), field)


@pytest.mark.parametrize("value", [*BAD_DATES, "9999-12", "2026-13", "0001-01"])
@pytest.mark.parametrize(
    "url", ["/rosters/me/", "/rosters/{slug}/meals/", "/rosters/{slug}/meals.csv"]
)
def test_my_shifts_and_meal_cards_refuse_a_month_they_cannot_show(as_user, im, url, value):
    persona = "resident" if url == "/rosters/me/" else "coordinator"
    r = as_user(persona).get(url.format(slug=im.slug), {"month": value})
    assert_page_refuses(r, "month")


@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_the_audit_api_refuses_a_date_out_of_the_calendar(as_user, field, value):
    assert_api_refuses(as_user("gme-admin").get("/api/audit/entries", {field: value}), field)


@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_the_audit_page_refuses_a_date_out_of_the_calendar(as_user, field, value):
    assert_page_refuses(as_user("gme-admin").get("/audit/", {field: value}), field)


# --- Cursors and person ids with '²' ---------------------------------------------------------


CURSOR = "2026-01-01T00:00:00+00:00_\u00b2"


def test_the_audit_api_refuses_a_cursor_with_a_superscript_two(as_user):
    assert_api_refuses(as_user("gme-admin").get("/api/audit/entries", {"before": CURSOR}), "before")


def test_the_audit_page_refuses_a_cursor_with_a_superscript_two(as_user):
    assert_page_refuses(as_user("gme-admin").get("/audit/", {"before": CURSOR}), "before")


def test_the_audit_page_refuses_a_person_id_with_a_superscript_two(as_user):
    assert_page_refuses(as_user("gme-admin").get("/audit/", {"person": "\u00b2"}), "person")


def test_the_api_refuses_a_person_id_with_a_superscript_two(as_user):
    assert_api_refuses(as_user("director").get("/api/people/%C2%B2"), "person_id")


def test_the_roster_page_refuses_a_pgy_with_a_superscript_two(as_user, im):
    r = as_user("coordinator").get(f"/org/programs/{im.slug}/roster/", {"pgy": "\u00b2"})
    assert_page_refuses(r, "pgy")


# --- The parsers themselves -----------------------------------------------------------------


@pytest.mark.parametrize("raw", ["\u00b2", "1\u00b2", "\u0661", "1e3", "0x10", "9" * 30, " - 1"])
def test_parse_int_refuses_what_is_not_a_plain_whole_number(raw):
    with pytest.raises(inputs.BadInput) as e:
        inputs.parse_int({"n": raw}, "n")
    assert e.value.field == "n"


def test_parse_int_reads_signed_whole_numbers_within_the_database_range():
    assert inputs.parse_int({"n": "-12"}, "n") == -12
    assert inputs.parse_int({"n": ""}, "n") is None
    with pytest.raises(inputs.BadInput, match="between"):
        inputs.parse_int({"n": str(2**31)}, "n")


@pytest.mark.parametrize("raw", ["1899-12-31", "2201-01-01", "2026-02-30", "20260101", "x"])
def test_parse_date_refuses_dates_it_cannot_use(raw):
    with pytest.raises(inputs.BadInput, match=r"^day: "):
        inputs.parse_date({"day": raw}, "day")


def test_parse_month_reads_a_month_as_its_first_day():
    import datetime as dt

    assert inputs.parse_month({"month": "2026-02"}, "month") == dt.date(2026, 2, 1)
