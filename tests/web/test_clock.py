"""The clock endpoints: the state of the sandbox clock, and the controls that change it."""

from __future__ import annotations

import datetime as dt

import pytest

from cluster.models import Sandbox, Trace

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def test_the_clock_answers_with_its_state(alice_client, sandbox):
    answer = alice_client.get(f"/sandboxes/{sandbox.pk}/clock/").json()
    assert answer["paused"] is False
    assert answer["speed"] == 1.0
    assert answer["mode"] == "watch"
    assert abs(dt.datetime.fromisoformat(answer["now"]) - sandbox.now()) < dt.timedelta(minutes=1)


def test_reading_the_clock_leaves_no_trace(alice_client, sandbox):
    before = Trace.objects.filter(sandbox=sandbox).count()
    alice_client.get(f"/sandboxes/{sandbox.pk}/clock/")
    assert Trace.objects.filter(sandbox=sandbox).count() == before


def test_each_control_answers_with_the_clock_it_left(alice_client, sandbox):
    base = f"/sandboxes/{sandbox.pk}/clock"
    paused = alice_client.post(f"{base}/pause/", **HTMX)
    assert paused.status_code == 200
    assert paused.json()["paused"] is True
    assert alice_client.get(f"{base}/").json()["paused"] is True
    paused_at = dt.datetime.fromisoformat(paused.json()["now"])

    stepped = alice_client.post(f"{base}/step/", {"component": "scheduler"}, **HTMX).json()
    assert stepped["paused"] is True
    assert dt.datetime.fromisoformat(stepped["now"]) > paused_at

    assert alice_client.post(f"{base}/speed/", {"speed": "5"}, **HTMX).json()["speed"] == 5
    assert Sandbox.objects.get(pk=sandbox.pk).clock_speed == 5
    assert alice_client.post(f"{base}/resume/", **HTMX).json()["paused"] is False
    assert alice_client.post(f"{base}/speed/", {"speed": "1000"}, **HTMX).status_code == 400


def test_the_instructor_reads_the_clock_but_may_not_pause_it(client, sandbox, teacher):
    client.force_login(teacher)
    assert client.get(f"/sandboxes/{sandbox.pk}/clock/").json()["paused"] is False
    refused = client.post(f"/sandboxes/{sandbox.pk}/clock/pause/", **HTMX)
    assert refused.status_code == 403
    assert not Sandbox.objects.get(pk=sandbox.pk).clock_paused


def test_another_students_sandbox_answers_as_one_that_does_not_exist(client, sandbox, bob):
    client.force_login(bob)
    refused = client.get(f"/sandboxes/{sandbox.pk}/clock/")
    missing = client.get("/sandboxes/999999/clock/")
    assert refused.status_code == missing.status_code == 404
    assert refused.json()["kind"] == "Status"
    assert refused.json()["reason"] == "NotFound"
    assert refused.json()["message"] == f'sandbox "{sandbox.pk}" not found'


def test_the_clock_needs_a_login(client, sandbox):
    assert client.get(f"/sandboxes/{sandbox.pk}/clock/").status_code == 401


def test_a_control_made_from_an_older_copy_of_the_sandbox_keeps_the_other_controls_change(
    sandbox,
):
    """A speed change and Play pressed at once: each request read the sandbox before the
    other saved it. Play must not put the old speed back (nor the speed change the pause)."""
    from cluster.clock import clock_pause, clock_resume, clock_set_speed

    clock_pause(sandbox)
    for_speed = Sandbox.objects.get(pk=sandbox.pk)
    for_play = Sandbox.objects.get(pk=sandbox.pk)
    clock_set_speed(for_speed, 5.0)
    clock_resume(for_play)
    sandbox.refresh_from_db()
    assert (sandbox.clock_paused, sandbox.clock_speed) == (False, 5.0)
    assert (for_play.clock_paused, for_play.clock_speed) == (False, 5.0)


def test_the_owner_switches_the_components_to_poll_and_back(alice_client, sandbox):
    base = f"/sandboxes/{sandbox.pk}/clock"
    polling = alice_client.post(f"{base}/mode/", {"mode": "poll"}, **HTMX)
    assert polling.status_code == 200
    assert polling.json()["mode"] == "poll"
    assert Sandbox.objects.get(pk=sandbox.pk).mode == Sandbox.Mode.POLL
    trace = Trace.objects.filter(sandbox=sandbox, verb="mode").get()
    assert (trace.actor, trace.resource, trace.name, trace.code) == (
        "alice",
        "components",
        "poll",
        200,
    )
    assert "every 5 s" in trace.narration

    assert alice_client.post(f"{base}/mode/", {"mode": "watch"}, **HTMX).json()["mode"] == "watch"
    assert alice_client.post(f"{base}/mode/", {"mode": "push"}, **HTMX).status_code == 400
    assert Sandbox.objects.get(pk=sandbox.pk).mode == Sandbox.Mode.WATCH


@pytest.mark.parametrize("who", ["teacher", "bob"])
def test_only_who_may_write_switches_the_mode(client, sandbox, who, request):
    client.force_login(request.getfixturevalue(who))
    refused = client.post(f"/sandboxes/{sandbox.pk}/clock/mode/", {"mode": "poll"}, **HTMX)
    assert refused.status_code in (403, 404)
    assert Sandbox.objects.get(pk=sandbox.pk).mode == Sandbox.Mode.WATCH
