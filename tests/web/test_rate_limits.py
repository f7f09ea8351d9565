"""Per-user rate limits on the expensive calls (sandbox/rate_limits.py): history reads,
clock steps, etcd browsing, and the websocket's snapshots (connect and resync). Counted
in the real Redis cache; each test has its own keys (tests/conftest.py, fresh_cache)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client

from cluster.models import Trace
from cluster.sandboxes import sandbox_create
from sandbox.routing import websocket_urlpatterns

HTMX = {"HTTP_HX_REQUEST": "true"}


def limits(settings, **rates: str) -> None:
    """Per hour, not per minute: django-ratelimit's windows are fixed, and a test whose
    calls straddled a window's end would see its count start again (1 run in ~100 at
    one minute)."""
    settings.PODLAB_RATE_LIMITS = {**settings.PODLAB_RATE_LIMITS, **rates}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_too_many(response) -> None:
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 3600


@pytest.mark.django_db
def test_history_reads_are_limited_per_user(settings, sandbox, alice, teacher):
    limits(settings, history="3/h")
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
    limits(settings, **{"clock-step": "2/h"})
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
    limits(settings, **{"etcd-browse": "2/h"})
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
    limits(settings, history="1/h")
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }
    alice_client = logged_in(alice)
    history = f"/sandboxes/{sandbox.pk}/history/"
    assert [alice_client.get(history).status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.django_db
def test_the_limits_can_be_turned_off(settings, sandbox, alice):
    """PODLAB_RATE_LIMITS=0 (the benchmarks' crowds of viewers are one user)."""
    limits(settings, history="1/h")
    settings.RATELIMIT_ENABLE = False
    alice_client = logged_in(alice)
    history = f"/sandboxes/{sandbox.pk}/history/"
    assert [alice_client.get(history).status_code for _ in range(3)] == [200, 200, 200]


# -- the websocket ----------------------------------------------------------------------


def socket_for(sandbox_id: int, user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), f"/ws/sandboxes/{sandbox_id}/"
    )
    communicator.scope["user"] = user
    return communicator


async def next_not_changes(socket: WebsocketCommunicator) -> dict:
    """The next message that is not a pushed batch (the snapshots' own reads are pushed)."""
    while True:
        message = await socket.receive_json_from(timeout=5)
        if message["type"] != "changes":
            return message


@pytest.mark.django_db(transaction=True)
def test_resyncs_over_the_limit_are_refused_and_the_socket_stays(settings, sandbox, alice, teacher):
    limits(settings, snapshot="2/h")  # the connect's snapshot and one resync

    async def scenario():
        socket = socket_for(sandbox.pk, alice)
        await socket.connect()
        first = await next_not_changes(socket)
        await socket.send_json_to({"type": "resync"})
        second = await next_not_changes(socket)
        await socket.send_json_to({"type": "resync"})
        refused = await next_not_changes(socket)
        # Still open: the teacher's snapshot (another user's count) reaches the same page.
        teacher_socket = socket_for(sandbox.pk, teacher)
        await teacher_socket.connect()
        teachers = await next_not_changes(teacher_socket)
        await teacher_socket.disconnect()
        await socket.disconnect()
        return first, second, refused, teachers

    first, second, refused, teachers = async_to_sync(scenario)()
    assert first["type"] == second["type"] == teachers["type"] == "snapshot"
    assert refused["type"] == "error"
    assert refused["status"]["code"] == 429
    assert refused["status"]["reason"] == "TooManyRequests"
    assert refused["status"]["details"]["retryAfterSeconds"] >= 1


@pytest.mark.django_db(transaction=True)
def test_a_connect_over_the_limit_is_closed_with_4429(settings, sandbox, alice):
    limits(settings, snapshot="1/h")

    async def scenario():
        socket = socket_for(sandbox.pk, alice)
        await socket.connect()
        first = await next_not_changes(socket)
        await socket.disconnect()
        again = socket_for(sandbox.pk, alice)
        await again.connect()
        refused = await again.receive_json_from(timeout=5)
        closed = await again.receive_output(timeout=5)
        return first, refused, closed

    first, refused, closed = async_to_sync(scenario)()
    assert first["type"] == "snapshot"
    assert refused["status"]["code"] == 429
    assert closed == {
        "type": "websocket.close",
        "code": 4429,
        "reason": "429 TooManyRequests: Too many requests, please try again later.",
    }
