"""Input checked where it enters: one set of parsers for pages and the API.

Pages read query strings and forms with the `parse_*` functions; bad input raises `BadInput`
naming the field, which answers 400 (a page from `meded.core.middleware`, and in the API
``{"detail": "field: ..."}`` from the handler in `meded.api`). API signatures use the
annotated types below instead, which pydantic checks before the endpoint runs (422 with
``{"detail": [{"loc": [..., field], "msg": ...}]}``, as ninja answers any schema error).

The ranges are those the database and the calendar can hold: dates between 1900 and 2200 (a
date near year 9999 overflows as soon as a day is added to it), integers within PostgreSQL's
(SQLite's are the same size), text without NUL characters (PostgreSQL refuses them) or lone
surrogates (no database can encode them)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import AfterValidator, StringConstraints

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)
INT_MAX = 2**31 - 1  # an IntegerField
BIGINT_MAX = 2**63 - 1  # a BigAutoField primary key
MAX_LIMIT = 500  # rows in one page of an API list
MAX_OFFSET = INT_MAX
MAX_TEXT = 1000  # characters of a filter or search parameter

_DIGITS = re.compile(r"[0-9]+")  # str.isdigit() also says yes to '²', which int() refuses
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


class BadInput(ValueError):
    """A value that does not fit where it entered, with the field it came in."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def unstorable(text: str) -> str | None:
    """Why the database could not store `text` (None when it can)."""
    if "\x00" in text:
        return "must not contain a NUL character"
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return "must not contain a lone surrogate character"
    return None


def check_text(field: str, text: str, *, max_length: int = MAX_TEXT) -> str:
    if (problem := unstorable(text)) is not None:
        raise BadInput(field, problem)
    if len(text) > max_length:
        raise BadInput(field, f"at most {max_length} characters")
    return text


def check_date(field: str, day: dt.date) -> dt.date:
    if not MIN_DATE <= day <= MAX_DATE:
        raise BadInput(field, f"a date between {MIN_DATE.year} and {MAX_DATE.year}")
    return day


def _raw(params: Any, field: str) -> str:
    value = params.get(field, "") if params is not None else ""
    return str(value if value is not None else "").strip()


def parse_text(params: Any, field: str, *, max_length: int = MAX_TEXT) -> str:
    """The stripped text of `field` in a QueryDict or dict ('' when absent)."""
    return check_text(field, _raw(params, field), max_length=max_length)


def parse_date(params: Any, field: str) -> dt.date | None:
    """A YYYY-MM-DD date between 1900 and 2200, or None when the field is empty."""
    raw = _raw(params, field)
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw) if len(raw) == 10 and raw[4] == "-" else None
    except ValueError:
        day = None
    if day is None:
        raise BadInput(field, f"'{_shown(raw)}' is not a date (use YYYY-MM-DD)")
    return check_date(field, day)


def parse_month(params: Any, field: str) -> dt.date | None:
    """The first day of a YYYY-MM month between 1900 and 2200, or None when empty."""
    raw = _raw(params, field)
    if not raw:
        return None
    match = _MONTH.fullmatch(raw)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise BadInput(field, f"'{_shown(raw)}' is not a month (use YYYY-MM)")
    return check_date(field, dt.date(int(match[1]), int(match[2]), 1))


def parse_int(
    params: Any, field: str, *, minimum: int = -INT_MAX - 1, maximum: int = INT_MAX
) -> int | None:
    """A whole number within [minimum, maximum] (the database's integers by default), or None
    when the field is empty."""
    raw = _raw(params, field)
    if not raw:
        return None
    sign, digits = (raw[0], raw[1:]) if raw[0] in "+-" else ("", raw)
    if not _DIGITS.fullmatch(digits) or len(digits) > 20:
        raise BadInput(field, f"'{_shown(raw)}' is not a whole number")
    return check_int(field, int(sign + digits), minimum=minimum, maximum=maximum)


def check_int(
    field: str, value: int, *, minimum: int = -INT_MAX - 1, maximum: int = INT_MAX
) -> int:
    if not minimum <= value <= maximum:
        raise BadInput(field, f"a whole number between {minimum} and {maximum}")
    return value


def parse_id(params: Any, field: str) -> int | None:
    """A row's number (a positive primary key), or None when the field is empty."""
    return parse_int(params, field, minimum=1, maximum=BIGINT_MAX)


def parse_decimal(params: Any, field: str, *, minimum: Decimal, maximum: Decimal) -> Decimal | None:
    """A finite decimal number within [minimum, maximum], or None when the field is empty."""
    raw = _raw(params, field)
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise BadInput(field, f"'{_shown(raw)}' is not a number such as 10.00")
    if not minimum <= value <= maximum:
        raise BadInput(field, f"a number between {minimum} and {maximum}")
    return value


def _shown(raw: str) -> str:
    """A value as quoted back in a message: printable and short."""
    text = raw.encode("unicode_escape").decode("ascii")
    return text if len(text) <= 40 else text[:37] + "..."


# --- Types for API signatures (django-ninja / pydantic) -------------------------------------


def _storable(text: str) -> str:
    if (problem := unstorable(text)) is not None:
        raise ValueError(problem)
    return text


def _in_calendar(day: dt.date) -> dt.date:
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(f"a date between {MIN_DATE.year} and {MAX_DATE.year}")
    return day


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_storable)]
"""A text parameter the database can store (no NUL, no lone surrogate), at most 1000 chars."""

LongText = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_storable)]

Slug = Annotated[str, StringConstraints(pattern=r"^[-a-zA-Z0-9_]{1,100}$")]
"""A path segment naming a row by its slug or code (letters, digits, '-' and '_')."""

Id = Annotated[int, Field(ge=1, le=BIGINT_MAX)]
"""A row's number: a positive primary key."""

SmallInt = Annotated[int, Field(ge=-32768, le=32767)]

Day = Annotated[dt.date, AfterValidator(_in_calendar)]
"""A date between 1900 and 2200."""


class Pagination(LimitOffsetPagination):
    """ninja's limit/offset paging with both bounded: ``limit`` 1-500 rows, ``offset`` within
    the database's integers (beyond them the query itself fails)."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
