"""Per-user rate limits on the expensive calls (sandbox/rate_limits.py): history reads,
clock steps, etcd browsing, and the websocket's snapshots (connect and resync). Counted
in the real Redis cache; each test has its own keys (tests/conftest.py, fresh_cache)."""

from __future__ import annotations

import pytest
from django.test import Client

from cluster.models import Trace
from cluster.sandboxes import sandbox_create

HTMX = {"HTTP_HX_REQUEST": "true"}


def limits(settings, **rates: str) -> None:
    settings.PODLAB_RATE_LIMITS = {**settings.PODLAB_RATE_LIMITS, **rates}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_too_many(response) -> None:
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60


@pytest.mark.django_db
def test_history_reads_are_limited_per_user(settings, sandbox, alice, teacher):
    limits(settings, history="3/m")
    alice_client, teacher_client = logged_in(alice), logged_in(teacher)
    history = f"/sandboxes/{sandbox.pk}/history/"
    assert [alice_client.get(history).status_code for _ in range(3)] == [200, 200, 200]

    refused = alice_client.get(history)
    assert_too_many(refused)
    status = refused.json()
    assert status["reason"] == "TooManyRequests"
    assert status["message"] == "Too many requests, please try again later."
    assert status["details"]["retryAfterSeconds"] == int(refused["Retry-After"])
    # Per user, across sandboxes: her own other sandbox is over it too...
    other = sandbox_create(owner=alice, name="second")
    assert alice_client.get(f"/sandboxes/{other.pk}/history/").status_code == 429
    # ...and another user reading the same sandbox is not.
    assert teacher_client.get(history).status_code == 200


@pytest.mark.django_db
def test_clock_steps_are_limited_and_a_refused_step_does_nothing(settings, sandbox, alice, bob):
    limits(settings, **{"clock-step": "2/m"})
    alice_client = logged_in(alice)
    step = f"/sandboxes/{sandbox.pk}/clock/step/"
    assert [alice_client.post(step).status_code for _ in range(2)] == [200, 200]
    traces = Trace.objects.filter(sandbox=sandbox).count()
    assert_too_many(alice_client.post(step))
    assert Trace.objects.filter(sandbox=sandbox).count() == traces
    # Other clock controls are cheap and not counted.
    assert alice_client.post(f"/sandboxes/{sandbox.pk}/clock/pause/").status_code == 200

    bobs = sandbox_create(owner=bob, name="bob's")
    assert logged_in(bob).post(f"/sandboxes/{bobs.pk}/clock/step/").status_code == 200


@pytest.mark.django_db
def test_etcd_browsing_is_limited_with_a_status_the_panel_shows(settings, sandbox, alice, teacher):
    limits(settings, **{"etcd-browse": "2/m"})
    alice_client = logged_in(alice)
    etcd = f"/sandboxes/{sandbox.pk}/etcd/?prefix=/registry/nodes/"
    assert [alice_client.get(etcd, **HTMX).status_code for _ in range(2)] == [200, 200]
    refused = alice_client.get(etcd, **HTMX)
    assert_too_many(refused)
    assert "429 TooManyRequests" in refused.content.decode()
    assert logged_in(teacher).get(etcd, **HTMX).status_code == 200


@pytest.mark.django_db
def test_a_redis_that_does_not_answer_lets_the_call_through(settings, sandbox, alice):
    """The counters are lost, not the pages: nothing listens on port 1."""
    limits(settings, history="1/m")
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }
    alice_client = logged_in(alice)
    history = f"/sandboxes/{sandbox.pk}/history/"
    assert [alice_client.get(history).status_code for _ in range(3)] == [200, 200, 200]
