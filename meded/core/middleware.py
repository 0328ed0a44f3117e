"""Bad input answers 400 naming the field, never 500.

`BadInputMiddleware` does two things:

- a backstop: a request whose path, query, form fields, cookies or JSON body hold a character
  the database cannot store (a NUL, which PostgreSQL refuses in text; a lone surrogate) is
  refused before any view runs, naming the parameter. The views and API signatures check
  their fields too (meded.core.inputs); this catches whatever one of them forgets.
- `meded.core.inputs.BadInput` raised by a page answers 400 with the message (an API
  endpoint's is answered by the handler in meded.api, in the API's JSON shape).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string

from meded.core.inputs import BadInput, unstorable


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def bad_input_response(request: HttpRequest, error: BadInput) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": str(error)}, status=400)
    html = render_to_string("400.html", {"message": str(error)}, request=request)
    return HttpResponseBadRequest(html)


def _json_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, text) of every key and string in a decoded JSON document."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield f"{path}.{k}", str(k)
            yield from _json_strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _json_strings(v, f"{path}.{i}")


def _unstorable_field(request: HttpRequest) -> BadInput | None:
    if problem := unstorable(request.path_info):
        return BadInput("path", problem)
    sources: list[tuple[str, Any]] = [("", request.GET), ("cookie ", request.COOKIES)]
    if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
        sources.append(("", request.POST))
    for prefix, params in sources:
        items = (
            params.lists() if hasattr(params, "lists") else ((k, [v]) for k, v in params.items())
        )
        for key, values in items:
            for text in (key, *values):
                if problem := unstorable(str(text)):
                    return BadInput(f"{prefix}{_printable(key)}", problem)
    if request.content_type == "application/json" and request.body:
        try:
            document = json.loads(request.body)
        except ValueError:
            return None  # not JSON: the endpoint says so
        for path, text in _json_strings(document, "body"):
            if problem := unstorable(text):
                return BadInput(_printable(path), problem)
    return None


def _printable(name: str) -> str:
    return name.encode("unicode_escape").decode("ascii")[:80]


class BadInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (error := _unstorable_field(request)) is not None:
            return bad_input_response(request, error)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, BadInput):
            return bad_input_response(request, exception)
        return None
