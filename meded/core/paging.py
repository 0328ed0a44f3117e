"""Pagination and filter helpers shared by list pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from meded.core import inputs

PAGE_SIZE = 50


@dataclass
class Listing:
    page: Page
    querystring: str  # the current filters, without "page", for pager links

    @property
    def items(self) -> Any:
        return self.page.object_list


def paginate(
    request: HttpRequest, qs: QuerySet[Any] | list[Any], per_page: int = PAGE_SIZE
) -> Listing:
    paginator = Paginator(qs, per_page)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except PageNotAnInteger:
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
    params = request.GET.copy()
    params.pop("page", None)
    return Listing(page=page, querystring=params.urlencode())


def search_terms(q: str, fields: list[str]) -> Q:
    """Every whitespace-separated term must match one of the fields (case-insensitive)."""
    cond = Q()
    for term in q.split()[:6]:
        any_field = Q()
        for f in fields:
            any_field |= Q(**{f"{f}__icontains": term})
        cond &= any_field
    return cond


def int_or_none(value: str | None) -> int | None:
    """A whole number within the database's integers, or None for anything else. New code
    should prefer meded.core.inputs.parse_int, which answers 400 naming the field."""
    try:
        return inputs.parse_int({"value": value}, "value")
    except inputs.BadInput:
        return None
