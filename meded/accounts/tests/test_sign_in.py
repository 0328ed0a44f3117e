"""Local sign-in: the login page, the lockout after repeated failures (django-axes), password
reset by e-mail with Django's password validators, and the e-mail settings."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client

from meded.org.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def _sign_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_the_login_page_shows_only_local_sign_in_when_no_identity_provider_is_configured():
    body = Client().get(LOGIN).content.decode()
    assert 'id="local-sign-in"' in body and "Forgot your password?" in body
    assert 'id="sso-sign-in"' not in body


def test_a_local_account_signs_in_with_its_password():
    client = Client()
    r = _sign_in(client, "resident", DEMO_PASSWORD)
    assert r.status_code == 302 and r["Location"] == "/home/"
    assert client.get("/home/").status_code == 200


def test_repeated_failures_lock_the_account_out_with_a_clear_message(settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        r = _sign_in(client, "resident", "not-the-password")
        assert r.status_code == 200 and "correct username and password" in r.content.decode()
    r = _sign_in(client, "resident", "not-the-password")
    assert r.status_code == 429
    # Now even the right password is refused, and the page says why and for how long.
    r = _sign_in(client, "resident", DEMO_PASSWORD)
    body = r.content.decode()
    assert r.status_code == 429 and 'id="locked-out"' in body
    assert "3 failed attempts" in body and "resident" in body and "15 minutes" in body
    assert "_auth_user_id" not in client.session
    # Another account is not locked with it.
    assert _sign_in(Client(), "chief", DEMO_PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off_and_a_success_resets_the_count(settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    for _ in range(2):
        _sign_in(client, "resident", "wrong")
    assert _sign_in(client, "resident", DEMO_PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert _sign_in(client, "resident", DEMO_PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="resident").exists()


def test_a_forced_login_in_tests_is_not_counted(as_user):
    assert as_user("resident").get("/home/").status_code == 200
    assert not AccessAttempt.objects.exists()


# --- Password reset ---------------------------------------------------------------------------


def _reset_link(mailoutbox) -> str:
    [mail] = mailoutbox
    found = re.search(r"http://testserver(/accounts/password-reset/[^/\s]+/[^/\s]+/)", mail.body)
    assert found, mail.body
    return found.group(1)


def test_password_reset_by_e_mail_checks_the_new_password_with_the_validators(mailoutbox):
    client = Client()
    user = User.objects.get(username="resident")
    r = client.post("/accounts/password-reset/", {"email": user.email})
    assert r.status_code == 302 and r["Location"] == "/accounts/password-reset/sent/"
    assert "It works once, for 24 hours" in client.get(r["Location"]).content.decode()
    assert mailoutbox[0].to == [user.email] and "reset your password" in mailoutbox[0].subject
    link = _reset_link(mailoutbox)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and 'id="set-password"' in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    weak = client.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    body = weak.content.decode()
    assert weak.status_code == 200
    assert "too short" in body and "too common" in body and "entirely numeric" in body
    similar = client.post(set_url, {"new_password1": "resident1", "new_password2": "resident1"})
    assert "too similar" in similar.content.decode()
    good = "violet-stethoscope-rounds-7"
    done = client.post(set_url, {"new_password1": good, "new_password2": good})
    assert done.status_code == 302 and done["Location"] == "/accounts/password-reset/done/"
    assert _sign_in(Client(), "resident", good).status_code == 302
    # The link works once.
    again = client.get(link, follow=True).content.decode()
    assert "This link does not work" in again


def test_no_reset_mail_for_an_unknown_address_or_a_login_without_a_password(mailoutbox):
    user = User.objects.get(username="faculty")
    user.set_unusable_password()  # e.g. a login made by single sign-on
    user.save()
    client = Client()
    for email in ("nobody@example.org", user.email):
        r = client.post("/accounts/password-reset/", {"email": email})
        assert r.status_code == 302  # the same answer either way: nothing leaks
    assert mailoutbox == []


def test_a_malformed_reset_address_is_named_not_a_500():
    r = Client().post("/accounts/password-reset/", {"email": "not an address"})
    assert r.status_code == 200 and "valid email" in r.content.decode()


def test_local_sign_in_and_password_reset_can_be_turned_off(settings):
    settings.MEDED_LOCAL_LOGIN = False
    client = Client()
    body = client.get(LOGIN).content.decode()
    assert 'id="local-sign-in"' not in body
    assert _sign_in(client, "resident", DEMO_PASSWORD).status_code == 404
    assert client.get("/accounts/password-reset/").status_code == 404


# --- E-mail settings --------------------------------------------------------------------------


def _email_backend(**env: str) -> str:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith("MEDED_") and k != "DATABASE_URL"
    }
    clean.update(DJANGO_SETTINGS_MODULE="meded.settings", MEDED_DEBUG="1", **env)
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=clean,
        cwd=Path(__file__).resolve().parents[3],
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


def test_mail_goes_to_the_console_unless_an_smtp_host_is_set(tmp_path):
    var = str(tmp_path)
    assert _email_backend(MEDED_VAR_DIR=var)[0] == "django.core.mail.backends.console.EmailBackend"
    assert _email_backend(MEDED_VAR_DIR=var, MEDED_EMAIL_HOST="smtp.example.org") == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
        587,
    ]
