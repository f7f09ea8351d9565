"""Production settings (DEBUG=0), checked in a separate process with production's
environment, as a server would start; and the error pages a student sees."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings as live_settings

from tests.processes import ROOT, subprocess_database_url
from tests.web.raising_urls import SECRET_DETAIL

HOST = "podlab.example.org"


def production_environment(**overrides: str) -> dict[str, str]:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sandbox.settings",
        "PYTHONPATH": str(ROOT),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        **overrides,
    }
    # Not production's: the test run's own settings (the browser tests' conftest allows
    # Django's ORM from Playwright's event loop, which check --deploy rightly reports).
    for name in ("CSRF_TRUSTED_ORIGINS", "SECURE_HSTS_SECONDS", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        if name not in overrides:
            environment.pop(name, None)
    return environment


def run(args: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    checked = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_environment(),
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_production_refuses_to_start_without_a_secret_key():
    environment = production_environment()
    del environment["SECRET_KEY"]
    checked = run([sys.executable, "manage.py", "check"], environment)
    assert checked.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in checked.stderr


def test_development_keeps_its_defaults():
    """`make run` and `make test` (DEBUG unset) serve plain HTTP on 127.0.0.1."""
    assert live_settings.PRODUCTION is False
    assert live_settings.SECURE_SSL_REDIRECT is False
    assert live_settings.SESSION_COOKIE_SECURE is False
    assert live_settings.SECURE_PROXY_SSL_HEADER is None
    assert live_settings.SECURE_HSTS_SECONDS == 0


# Requests through Django's test client in a production process: what the proxy forwards.
PRODUCTION_REQUESTS = textwrap.dedent(
    """
    import json
    import django

    django.setup()
    from django.test import Client, override_settings

    answers = {}
    client = Client(enforce_csrf_checks=True)
    plain = client.get("/login/", HTTP_HOST="%(host)s")
    answers["plain_http"] = [plain.status_code, plain.headers.get("Location")]

    https = {"HTTP_HOST": "%(host)s", "HTTP_X_FORWARDED_PROTO": "https"}
    page = client.get("/login/", **https)
    cookie = page.cookies["csrftoken"]
    answers["https"] = [page.status_code, page.headers.get("Strict-Transport-Security"),
                        bool(cookie["secure"])]
    # The login form, posted as the browser posts it: from the site's own origin.
    login = client.post(
        "/login/",
        {"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": cookie.value},
        HTTP_ORIGIN="https://%(host)s", HTTP_REFERER="https://%(host)s/login/", **https,
    )
    answers["login_post"] = [login.status_code, "correct username" in login.text]
    forged = Client(enforce_csrf_checks=True).post(
        "/login/", {"username": "nobody", "password": "wrong"}, **https
    )
    answers["forged_post"] = [forged.status_code, "This form has expired" in forged.text]
    missing = client.get("/no-such-page/", **https)
    answers["not_found"] = [missing.status_code, "Page not found" in missing.text]

    with override_settings(ROOT_URLCONF="tests.web.raising_urls"):
        client.raise_request_exception = False
        broken = client.get("/raise/", **https)
    answers["server_error"] = [broken.status_code, broken.text]
    print(json.dumps(answers))
    """
)


@pytest.fixture
def production_answers(transactional_db) -> tuple[dict, str]:
    """Each request's answer in a production process, and what it wrote to stderr."""
    environment = production_environment(DATABASE_URL=subprocess_database_url())
    ran = run([sys.executable, "-c", PRODUCTION_REQUESTS % {"host": HOST}], environment)
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout.strip().splitlines()[-1]), ran.stderr


def test_production_redirects_plain_http_to_https(production_answers):
    answers, _ = production_answers
    assert answers["plain_http"] == [301, f"https://{HOST}/login/"]


def test_production_trusts_the_proxys_https_header_and_sends_hsts_and_secure_cookies(
    production_answers,
):
    answers, _ = production_answers
    assert answers["https"] == [200, "max-age=31536000; includeSubDomains; preload", True]


def test_production_accepts_a_form_from_its_own_origin_and_refuses_a_forged_one(
    production_answers,
):
    answers, _ = production_answers
    assert answers["login_post"] == [200, True]  # CSRF passed: the form's own error
    assert answers["forged_post"] == [403, True]
    assert answers["not_found"] == [404, True]


def test_production_shows_a_student_no_traceback_and_logs_it_for_the_operator(
    production_answers,
):
    answers, stderr = production_answers
    status, page = answers["server_error"]
    assert status == 500
    assert "Something went wrong" in page
    assert "Back to your sandboxes" in page
    for leak in (SECRET_DETAIL, "Traceback", "RuntimeError", "raising_urls"):
        assert leak not in page
    assert "Traceback" in stderr and SECRET_DETAIL in stderr


@pytest.mark.django_db
@pytest.mark.urls("tests.web.raising_urls")
def test_a_view_that_raises_shows_the_friendly_500_page_with_debug_off(client, alice, settings):
    settings.DEBUG = False
    client.force_login(alice)
    client.raise_request_exception = False
    response = client.get("/raise/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert SECRET_DETAIL not in page and "Traceback" not in page


@pytest.mark.django_db
def test_a_missing_page_fits_the_site(client, alice, settings):
    settings.DEBUG = False
    client.force_login(alice)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "/no-such-page/" in page
    assert "alice" in page  # the site's header, with the account
