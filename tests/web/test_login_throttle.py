"""Login throttling (django-axes, sandbox/login_throttle.py): wrong passwords for one
username from one address lock that pair out for a while, with the login page saying so."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "pw-alice"  # tests/conftest.py's make_user


def log_in(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_too_many_wrong_passwords_lock_the_account_from_that_address(settings, alice):
    limit = settings.AXES_FAILURE_LIMIT
    client = Client(REMOTE_ADDR="203.0.113.7")
    wrong = [log_in(client, "alice", f"guess-{i}") for i in range(limit)]
    assert [r.status_code for r in wrong[:-1]] == [200] * (limit - 1)
    assert "Please enter a correct username and password" in wrong[0].content.decode()

    locked = wrong[-1]  # the limit-th wrong password already locks
    page = locked.content.decode()
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "Too many failed logins for this account" in page
    assert "Try again in 15 minutes" in page
    assert '<form method="post">' in page  # the login page, not a bare error page

    # Now even the right password is refused, and nobody is logged in.
    right = log_in(client, "alice", PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_for_that_username_from_that_address_only(settings, alice, bob):
    """A classroom shares one address: one student's typos must not lock out the rest."""
    classroom = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in(classroom, "alice", f"guess-{i}")
    assert log_in(classroom, "alice", PASSWORD).status_code == 429

    assert log_in(Client(REMOTE_ADDR="203.0.113.7"), "bob", "pw-bob").status_code == 302
    assert log_in(Client(REMOTE_ADDR="198.51.100.1"), "alice", PASSWORD).status_code == 302


def test_a_right_password_before_the_limit_starts_the_count_again(settings, alice):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "alice", f"guess-{i}")
    assert log_in(client, "alice", PASSWORD).status_code == 302
    client.post("/logout/")
    assert log_in(client, "alice", "one more typo").status_code == 200


def test_a_header_the_client_writes_does_not_change_its_address(settings, alice):
    """X-Forwarded-For is the client's to write: counted against it, a guesser could
    name a new address at every try. Behind a proxy, Daphne's --proxy-headers sets it."""
    client = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/login/",
            {"username": "alice", "password": f"guess-{i}"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        )
    assert log_in(client, "alice", PASSWORD).status_code == 429


def test_logging_in_without_a_request_is_not_throttled(alice):
    """The test client's login() (and a shell's authenticate()) passes no request."""
    assert Client().login(username="alice", password=PASSWORD)


@pytest.mark.django_db(transaction=True)
def test_the_lockout_page_through_daphne(settings, live_server_url, alice):
    """The real stack: Daphne runs the middleware chain asynchronously (axes' other path)."""
    import re

    import requests

    browser = requests.Session()

    def log_in_through_daphne(password: str) -> requests.Response:
        form = browser.get(f"{live_server_url}/login/", timeout=10).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        return browser.post(
            f"{live_server_url}/login/",
            {"username": "alice", "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{live_server_url}/login/"},
            allow_redirects=False,
            timeout=10,
        )

    answers = [log_in_through_daphne(f"guess-{i}") for i in range(settings.AXES_FAILURE_LIMIT)]
    assert [a.status_code for a in answers[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    locked = answers[-1]
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert "Too many failed logins for this account" in locked.text
    assert log_in_through_daphne(PASSWORD).status_code == 429
