"""The Content-Security-Policy header, and a sweep of every template so no new page brings
back an inline script, style or event handler (the browser test checks the main pages; this
checks all of them, including partials and pages no test opens)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from meded.schedules.grid import COLORS

MEDED = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p for p in MEDED.rglob("templates/**/*.html"))

INLINE = [
    # a <script> without src, unless it is data (json_script's type="application/json")
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I), "inline script"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\shx-on[:-]", re.I), "hx-on (evaluated JavaScript)"),
]


def test_there_are_templates_to_sweep():
    assert len(TEMPLATES) > 40


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(MEDED)))
def test_no_template_has_an_inline_script_style_or_handler(template):
    text = template.read_text(encoding="utf-8")
    found = [f"{what}: {m.group(0)!r}" for rx, what in INLINE for m in rx.finditer(text)]
    assert found == []


def test_the_sweep_catches_what_it_looks_for():
    bad = '<script>x()</script><style>p{}</style><p style="x" onclick="y"><a href="javascript:z">'
    assert all(rx.search(bad) for rx, _ in INLINE[:5])
    assert not INLINE[0][0].search('<script src="/static/a.js" defer></script>')
    assert not INLINE[0][0].search('<script id="d" type="application/json">{}</script>')


def test_every_rotation_category_has_its_colour_in_the_schedule_stylesheet():
    css = (MEDED / "static" / "schedules" / "schedules.css").read_text(encoding="utf-8")
    for category, colour in COLORS.items():
        assert f".c-{category}{{background:{colour}}}" in css


@pytest.mark.django_db
def test_every_page_carries_the_strict_policy(as_user):
    policy = as_user(None).get("/")["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"] and directives["form-action"] == ["'self'"]
    assert "unsafe" not in policy
    api = as_user(None).get("/api/docs")
    assert "default-src 'self'" in api["Content-Security-Policy"]
    assert "cdn" not in api.content.decode().lower()
    assert "/static/ninja/swagger-ui-bundle.js" in api.content.decode()
