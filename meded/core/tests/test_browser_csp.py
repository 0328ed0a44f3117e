"""Every main page satisfies the Content-Security-Policy in a real browser: no inline script,
style or event handler is refused, for several personas, including htmx's partials and the
API documentation (Swagger UI served from meded's own static files, not a CDN). The detector
itself is checked to catch an injected inline script and inline style."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from meded.jobs.models import Job
from meded.org.models import Person
from meded.rosters.tests.test_browser import publish_demo_schedule, sign_in

pytestmark = pytest.mark.browser

# Runs in every page before its own scripts (Playwright injects it; the page's policy does
# not apply to it) and keeps every violation the page reports.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " +
                    (e.sourceFile || document.location.pathname) + ":" + e.lineNumber);
});
"""


class Watcher:
    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.console: list[str] = []
        self.outside: list[str] = []
        page.add_init_script(WATCH)
        page.on("console", self._console)
        page.on("request", self._request)

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            self.console.append(text)

    def _request(self, request: Any) -> None:
        url = request.url
        if not url.startswith(self.base) and not url.startswith(("data:", "blob:")):
            self.outside.append(url)

    def visit(self, path: str) -> list[str]:
        """Open the page, let htmx load its partials, and return what was refused."""
        response = self.page.goto(self.base + path)
        assert response is not None and response.status < 500, f"{path}: {response}"
        assert "default-src 'self'" in (response.headers.get("content-security-policy") or "")
        self.page.wait_for_load_state("networkidle")
        return self.refused()

    def refused(self) -> list[str]:
        found = list(self.page.evaluate("window.__csp || []")) + self.console
        self.console = []
        return found


def test_the_violation_detector_catches_an_inline_script_and_an_inline_style(demo_live, page):
    watch = Watcher(page, demo_live.url)
    assert watch.visit("/") == []
    page.evaluate(
        """() => {
        const s = document.createElement("script");
        s.textContent = "window.__ran = true";
        document.body.appendChild(s);
        const d = document.createElement("div");
        d.innerHTML = '<p style="color:red">x</p>';
        document.body.appendChild(d);
    }"""
    )
    page.wait_for_timeout(200)
    refused = watch.refused()
    assert any(r.startswith("script-src") for r in refused), refused
    assert any(r.startswith("style-src") for r in refused), refused
    assert page.evaluate("window.__ran === true") is False


def test_the_main_pages_satisfy_the_content_security_policy_for_every_persona(demo_live, page):
    chief = User.objects.get(username="chief")
    program, sy = publish_demo_schedule(chief)
    resident = Person.objects.get(user__username="resident")
    job = Job.objects.create(
        kind="roster_import",
        title="Roster import",
        program=program,
        created_by=User.objects.get(username="coordinator"),
    )
    block = 1
    watch = Watcher(page, demo_live.url)
    refused: dict[str, list[str]] = {}

    def check(who: str, paths: list[str]) -> None:
        for path in paths:
            found = watch.visit(path)
            if found:
                refused[f"{who} {path}"] = found

    check(
        "anonymous",
        [
            "/",
            f"/programs/{program.slug}/",
            "/programs/",
            "/accounts/login/",
            "/accounts/password-reset/",
            "/api/docs",
            "/no-such-page/",
        ],
    )
    # Swagger UI drew the operations from meded's own assets
    page.goto(demo_live.url + "/api/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert watch.refused() == []

    sign_in(page, demo_live.url, "coordinator")
    check(
        "coordinator",
        [
            "/home/",
            "/org/programs/",
            f"/org/programs/{program.slug}/",
            f"/org/programs/{program.slug}/roster/",
            "/org/people/",
            f"/org/people/{resident.pk}/",
            f"/schedules/{program.slug}/{sy.pk}/",
            f"/schedules/{program.slug}/{sy.pk}/setup/",
            f"/rosters/{program.slug}/",
            f"/rosters/{program.slug}/{sy.pk}/{block}/",
            f"/rosters/{program.slug}/swaps/",
            "/rosters/on-call/",
            "/audit/",
            f"/jobs/{job.pk}/",
            f"/calendars/people/{resident.pk}/",
        ],
    )
    page.context.clear_cookies()
    sign_in(page, demo_live.url, "resident")
    check(
        "resident",
        [
            "/home/",
            f"/schedules/{program.slug}/{sy.pk}/",
            "/rosters/me/",
            "/rosters/on-call/",
            "/calendars/",
        ],
    )
    # the page that shows a new calendar link once
    page.click("#create")
    page.wait_for_selector("#feed-url")
    found = watch.refused()
    if found:
        refused["resident new calendar link"] = found
    page.context.clear_cookies()
    sign_in(page, demo_live.url, "gme-admin")
    check("gme-admin", ["/home/", "/org/programs/", "/audit/", "/org/institutions/"])

    assert refused == {}
    assert watch.outside == [], "every asset comes from meded itself (no CDN)"
