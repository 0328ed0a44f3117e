"""Production configuration: DEBUG is off unless asked for, no process starts with DEBUG off on
the built-in secret key, `check --deploy` is clean with the production environment, no error
page shows a detail, /healthz reports the database and the task queue, and
`meded serve --production` runs gunicorn with the static files served by whitenoise."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, ProgrammingError
from django.test import Client
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from meded import cli
from meded.core import health
from meded.core.startup import BUILTIN_SECRET_KEY, REFUSAL, REFUSAL_EXIT_CODE, refusal

ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh process: no MEDED_* or DATABASE_URL from the test run, its
    own var directory, meded.settings."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("MEDED_") and k != "DATABASE_URL"
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests, never in production
    env["DJANGO_SETTINGS_MODULE"] = "meded.settings"
    env["MEDED_VAR_DIR"] = str(tmp_path / "var")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return base_env(
        tmp_path,
        MEDED_SECRET_KEY=secrets.token_urlsafe(50),
        MEDED_ALLOWED_HOSTS="meded.example.org,127.0.0.1",
        MEDED_PROXY_SSL_HEADER="X-Forwarded-Proto",
        **extra,
    )


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False
    )


# --- Refusing to start -----------------------------------------------------------------------


def test_the_refusal_applies_only_with_debug_off_and_the_built_in_or_no_key():
    assert refusal(debug=False, secret_key=BUILTIN_SECRET_KEY) == REFUSAL
    assert refusal(debug=False, secret_key="") == REFUSAL
    assert refusal(debug=True, secret_key=BUILTIN_SECRET_KEY) is None
    assert refusal(debug=False, secret_key=secrets.token_urlsafe(50)) is None
    assert "\n" not in REFUSAL and "MEDED_SECRET_KEY" in REFUSAL


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([PYTHON, "-c", "import django; django.setup()"], id="django.setup"),
        pytest.param(
            [PYTHON, "manage.py", "runserver", "--noreload", "127.0.0.1:0"], id="runserver"
        ),
        pytest.param([PYTHON, "-m", "meded.cli", "worker", "--batch"], id="meded-worker"),
        pytest.param([PYTHON, "-m", "meded.cli", "migrate"], id="meded-migrate"),
    ],
)
def test_with_debug_off_a_process_refuses_the_built_in_secret_key_in_one_line(tmp_path, command):
    env = base_env(tmp_path)
    done = run(command, env)
    assert done.returncode == REFUSAL_EXIT_CODE, done.stderr
    assert done.stderr.strip() == REFUSAL
    assert "Traceback" not in done.stderr + done.stdout


def test_gunicorn_stops_at_once_instead_of_restarting_a_worker_that_refuses(tmp_path):
    env = base_env(tmp_path)
    done = run(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "meded.wsgi:application",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--no-control-socket",
        ],
        env,
    )
    assert done.returncode == REFUSAL_EXIT_CODE
    assert REFUSAL in done.stderr
    assert done.stderr.count(REFUSAL) == 1  # one worker tried, then the arbiter stopped


def test_debug_is_off_by_default_and_the_production_settings_are_strict(tmp_path):
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ["
        "'DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
        "'CSRF_COOKIE_HTTPONLY', "
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', "
        "'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER', 'X_FRAME_OPTIONS', "
        "'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY']}))"
    )
    env = production_env(tmp_path)
    done = run([PYTHON, "-c", script], env)
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout)
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
    }
    # With MEDED_DEBUG on (the demo), none of it: plain HTTP on the developer's machine.
    dev = run([PYTHON, "-c", script], base_env(tmp_path, MEDED_DEBUG="1"))
    assert dev.returncode == 0, dev.stderr
    relaxed = json.loads(dev.stdout)
    assert relaxed["DEBUG"] is True and relaxed["SESSION_COOKIE_SECURE"] is False
    assert relaxed["SECURE_SSL_REDIRECT"] is False and relaxed["SECURE_HSTS_SECONDS"] == 0


def test_check_deploy_is_clean_in_the_production_configuration(tmp_path):
    done = run([PYTHON, "manage.py", "check", "--deploy"], production_env(tmp_path))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output and "?: (" not in output


def test_check_deploy_still_names_a_weak_setting(tmp_path):
    """The check is live: HSTS turned off in production is reported."""
    done = run(
        [PYTHON, "manage.py", "check", "--deploy"],
        production_env(tmp_path, MEDED_HSTS_SECONDS="0"),
    )
    assert "security.W004" in done.stdout + done.stderr


# --- Error pages ----------------------------------------------------------------------------


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("secret detail: password=hunter2 at /srv/meded/settings.py")


@pytest.mark.django_db
def test_a_server_error_shows_a_plain_page_with_no_detail(monkeypatch):
    monkeypatch.setattr("meded.public.views.facts_at_a_glance", _boom)
    r = Client(raise_request_exception=False).get("/")
    body = r.content.decode()
    assert r.status_code == 500
    assert "Something went wrong" in body and "<html" in body
    assert "secret detail" not in body and "Traceback" not in body and "settings" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_the_api_answers_an_error_with_json_and_no_traceback_even_in_debug(
    monkeypatch, settings, debug
):
    settings.DEBUG = debug
    monkeypatch.setattr("meded.public.api.facts_at_a_glance", _boom)
    r = Client(raise_request_exception=False).get("/api/public/facts")
    assert r.status_code == 500 and r["Content-Type"].startswith("application/json")
    assert r.json() == {"detail": "Internal server error. The error has been logged."}
    assert "secret detail" not in r.content.decode()


@pytest.mark.django_db
def test_a_missing_page_is_the_plain_404_page(as_user):
    r = as_user(None).get("/no/such/page/")
    body = r.content.decode()
    assert r.status_code == 404 and "Not found" in body
    assert "URLconf" not in body and "urlpatterns" not in body


@pytest.mark.django_db
def test_a_refused_page_says_why_on_the_403_page(as_user, im):
    r = as_user("outsider").get("/rosters/")
    assert r.status_code == 403
    body = r.content.decode()
    assert "Not allowed" in body and "no role" in body


@pytest.mark.django_db
def test_the_api_answers_a_refusal_with_json_403_and_its_reason(as_user, monkeypatch):
    from django.core.exceptions import PermissionDenied

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionDenied("Only the GME office can see this.")

    monkeypatch.setattr("meded.public.api.facts_at_a_glance", refuse)
    r = as_user("resident").get("/api/public/facts")
    assert r.status_code == 403 and r["Content-Type"].startswith("application/json")
    assert r.json() == {"detail": "Only the GME office can see this."}


# --- /healthz -------------------------------------------------------------------------------


def _queued(**fields: Any) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=TaskResultStatus.READY,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="meded.core.tasks.ping",
        queue_name="default",
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
        **fields,
    )


@pytest.mark.django_db
def test_healthz_reports_the_database_and_the_queued_tasks_to_anyone(as_user):
    r = as_user(None).get("/healthz")
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    assert "no-cache" in r["Cache-Control"]
    assert r.json() == {
        "status": "ok",
        "database": "ok",
        "task_queue": {"queued": 0, "oldest_queued_seconds": None},
    }
    task = _queued()
    DBTaskResult.objects.filter(pk=task.pk).update(
        enqueued_at=timezone.now() - dt.timedelta(minutes=5)
    )
    _queued()
    queue = as_user(None).get("/healthz").json()["task_queue"]
    assert queue["queued"] == 2 and 299 <= queue["oldest_queued_seconds"] <= 600


@pytest.mark.django_db
def test_healthz_answers_503_with_the_reason_when_the_database_fails(as_user, monkeypatch):
    def refuse() -> Any:
        raise OperationalError('connection to server at "db.internal" failed for user "meded"')

    monkeypatch.setattr(health.connection, "cursor", refuse)
    r = as_user(None).get("/healthz")
    assert r.status_code == 503
    assert r.json() == {
        "status": "error",
        "failed": "database",
        "reason": "database check failed (OperationalError)",
    }
    assert "db.internal" not in r.content.decode()  # the detail goes to the log only


@pytest.mark.django_db
def test_healthz_answers_503_when_the_task_queue_table_is_missing(as_user, monkeypatch):
    class Broken:
        def filter(self, *args: Any, **kwargs: Any) -> Any:
            raise ProgrammingError('relation "django_tasks_database_dbtaskresult" does not exist')

    monkeypatch.setattr(health.DBTaskResult, "objects", Broken())
    r = as_user(None).get("/healthz")
    assert r.status_code == 503 and r.json()["failed"] == "task queue"


@pytest.mark.django_db
def test_healthz_is_not_redirected_to_https_but_pages_are(as_user, settings):
    settings.SECURE_SSL_REDIRECT = True
    client = as_user(None)
    assert client.get("/healthz").status_code == 200
    r = client.get("/")
    assert r.status_code == 301 and r["Location"].startswith("https://")


# --- meded serve --production ---------------------------------------------------------------


@pytest.mark.django_db
def test_serve_production_collects_static_files_then_becomes_gunicorn(monkeypatch, capsys):
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(
        "django.core.management.call_command", lambda *a, **k: calls.append(("call", *a))
    )
    execs: list[list[str]] = []

    def execv(path: str, argv: list[str]) -> None:
        execs.append(argv)

    monkeypatch.setattr(cli.os, "execv", execv)
    monkeypatch.setenv("MEDED_WEB_WORKERS", "5")
    monkeypatch.setenv("MEDED_FORWARDED_ALLOW_IPS", "10.0.0.1")
    assert cli.main(["serve", "--production", "--port", "8123", "--threads", "3"]) == 0
    assert calls == [("call", "collectstatic")]
    [argv] = execs
    assert argv[:4] == [sys.executable, "-m", "gunicorn", "meded.wsgi:application"]

    def option(name: str) -> str:
        return argv[argv.index(name) + 1]

    assert option("--bind") == "127.0.0.1:8123"
    assert option("--workers") == "5" and option("--threads") == "3"
    assert option("--forwarded-allow-ips") == "10.0.0.1"
    execs.clear()
    calls.clear()
    assert cli.main(["serve", "--production", "--workers", "2", "--no-collectstatic"]) == 0
    assert calls == [] and "--workers" in execs[0]
    assert execs[0][execs[0].index("--workers") + 1] == "2"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (local server)
    try:
        with _opener.open(request, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_serve_production_serves_pages_static_files_and_healthz(tmp_path):
    port = _free_port()
    env = production_env(tmp_path)
    migrated = run([PYTHON, "-m", "meded.cli", "migrate", "-v", "0"], env)
    assert migrated.returncode == 0, migrated.stderr
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "meded.cli",
            "serve",
            "--production",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        status = 0
        for _ in range(120):  # gunicorn boots within a few seconds; give up after a minute
            if server.poll() is not None:
                break
            try:
                status, _, body = _get(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.5)
        if status != 200 and server.poll() is not None and server.stdout is not None:
            pytest.fail(f"the server stopped: {server.stdout.read()}")
        assert status == 200
        assert json.loads(body)["database"] == "ok"
        https = {"X-Forwarded-Proto": "https"}
        status, headers, page = _get(f"{base}/programs/", https)
        assert status == 200 and headers["Server"] == "gunicorn"
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "max-age=31536000" in headers["Strict-Transport-Security"]
        html = page.decode()
        # whitenoise's manifest: hashed, compressed, cached for good
        start = html.index("/static/core/common.")
        css = html[start : html.index('"', start)]
        assert css != "/static/core/common.css"
        status, headers, _ = _get(base + css, {**https, "Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("Content-Encoding") == "gzip"
        assert "immutable" in headers["Cache-Control"]
        # plain HTTP is sent to HTTPS
        status, headers, _ = _get(f"{base}/programs/")
        assert status == 301 and headers["Location"].startswith("https://")
    finally:
        server.terminate()
        server.wait(timeout=60)
        if server.stdout:
            server.stdout.close()
