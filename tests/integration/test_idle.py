"""Idle sandboxes on the real stack: nobody watching and nothing due stops the clock.

Each sandbox here runs at x10, so its quiet period passes in a few wall seconds and
an idle stretch of a few wall seconds is longer than a Lease (40 s) and the node
lifecycle controller's grace period (50 s) in sandbox time.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import websocket
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from cluster import coordination, idle
from cluster.apiserver import ApiServer
from cluster.clock import clock_set_speed
from cluster.components.controllers.nodelifecycle import NODE_MONITOR_GRACE_PERIOD_SECONDS
from cluster.models import Sandbox, Trace
from cluster.objects import parse_time
from cluster.sandboxes import mode_set
from tests.apiserver.manifests import pod_manifest
from tests.integration.test_pod_journey import phase_is
from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

SPEED = 10


@pytest.fixture
def fast_sandbox(stack, sandbox: Sandbox) -> Sandbox:
    """At x10 once every kubelet has renewed its Lease: a worker slow to start on a loaded
    machine would otherwise leave the nodes silent for their grace period at once."""
    api = ApiServer.as_component(sandbox, "kube-apiserver")
    wait_for(lambda: len(api.list("leases", namespace="kube-node-lease")["items"]) == 3)
    clock_set_speed(sandbox, SPEED)
    return sandbox


def is_idle(sandbox: Sandbox) -> bool:
    sandbox.refresh_from_db()
    return sandbox.idle


def wait_until_idle(sandbox: Sandbox) -> None:
    # The quiet period (5 wall seconds at x10) after the sandbox was made, then one of
    # beat's looks; a loaded test machine gets plenty more.
    wait_for(lambda: is_idle(sandbox), timeout=60, message=lambda: "the sandbox never went idle")


def component_traces(sandbox: Sandbox) -> int:
    """The calls its components made (the student's are by their user name)."""
    return Trace.objects.filter(sandbox=sandbox).exclude(actor=sandbox.owner.username).count()


def nodes_ready(api: ApiServer) -> dict[str, str]:
    return {
        node["metadata"]["name"]: next(
            c["status"] for c in node["status"]["conditions"] if c["type"] == "Ready"
        )
        for node in api.list("nodes")["items"]
    }


@contextmanager
def page_open(live_server_url: str, sandbox: Sandbox, user) -> Iterator[dict]:
    """The sandbox's live page, as a browser opens it: its websocket, logged in."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    address = live_server_url.removeprefix("http://")
    socket = websocket.create_connection(
        f"ws://{address}/ws/sandboxes/{sandbox.pk}/",
        cookie=f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
        origin=live_server_url,
        timeout=20,
    )
    try:
        yield json.loads(socket.recv())  # the snapshot
    finally:
        socket.close()


def no_tick_running(sandbox: Sandbox) -> bool:
    """No component of the sandbox holds its tick's lock (cluster.loops.component_lock)."""
    pattern = f"{settings.CELERY_TASK_DEFAULT_QUEUE}:lock:{sandbox.pk}:*"
    return not coordination.redis_client().keys(pattern)


def test_a_sandbox_nobody_watches_goes_idle_and_its_components_stop_ticking(stack, fast_sandbox):
    wait_until_idle(fast_sandbox)
    # A tick that began before the clock stopped may still be finishing its calls.
    wait_for(lambda: no_tick_running(fast_sandbox))
    ticks_before = component_traces(fast_sandbox)
    stood_at = fast_sandbox.now()
    # 5 wall seconds are 50 sandbox seconds: fifteen Lease renewals and ten node-monitor
    # passes, had it been running.
    time.sleep(5)
    assert component_traces(fast_sandbox) == ticks_before
    fast_sandbox.refresh_from_db()
    assert fast_sandbox.idle
    assert fast_sandbox.now() == stood_at, "an idle sandbox's clock stands still"


def test_a_pod_created_in_an_idle_sandbox_nobody_opened_reaches_running(stack, fast_sandbox, alice):
    wait_until_idle(fast_sandbox)
    api = ApiServer.as_user(fast_sandbox, alice)
    api.create("pods", pod_manifest("web"), namespace="default")
    # 100 sandbox seconds of work, 10 wall seconds: longer than the quiet period, so only
    # its container's timer (within the horizon) keeps the sandbox awake until it is done.
    job = pod_manifest("job")
    job["spec"]["containers"][0]["image"] = "podlab/job:done-in-100s"
    job["spec"]["restartPolicy"] = "Never"
    api.create("pods", job, namespace="default")
    wait_for(phase_is(api, "web", "Running"), timeout=30)
    wait_for(phase_is(api, "job", "Running"), timeout=30)
    wait_for(phase_is(api, "job", "Succeeded"), timeout=60)
    wait_until_idle(fast_sandbox)  # and once the work is done, it rests again


def test_opening_the_page_wakes_it_and_no_node_is_judged_for_the_time_nobody_watched(
    stack, fast_sandbox, alice, live_server_url
):
    api = ApiServer.as_user(fast_sandbox, alice)
    wait_until_idle(fast_sandbox)
    stood_at = fast_sandbox.now()
    lease = api.get("leases", "node-1", namespace="kube-node-lease")
    # 8 wall seconds: 80 sandbox seconds had the clock run, more than the Lease's 40 s and
    # the 50 s grace period after which the node lifecycle controller marks a node Unknown.
    time.sleep(8)
    assert is_idle(fast_sandbox)
    with page_open(live_server_url, fast_sandbox, alice) as snapshot:
        assert snapshot["type"] == "snapshot"
        assert not is_idle(fast_sandbox), "the page's websocket woke it before its snapshot"
        woke = Trace.objects.filter(sandbox=fast_sandbox).order_by("-id").first().id
        # The kubelets renew their Leases again, and the node lifecycle controller judges
        # the nodes, now that time runs.
        renewed = wait_for(
            lambda: (
                (now := api.get("leases", "node-1", namespace="kube-node-lease"))["spec"][
                    "renewTime"
                ]
                != lease["spec"]["renewTime"]
                and now
            ),
            timeout=30,
        )
        wait_for(
            lambda: (
                Trace.objects.filter(
                    sandbox=fast_sandbox, id__gt=woke, actor="controller-manager/nodelifecycle"
                ).count()
                >= 3
            ),
            timeout=30,
        )
        assert set(nodes_ready(api).values()) == {"True"}
        not_ready = [
            event
            for event in api.list("events", field_selector="reason=NodeNotReady")["items"]
            if parse_time(event["lastTimestamp"]) >= stood_at.replace(microsecond=0)
        ]
        assert not not_ready, "a node was judged for the time nobody watched"
        # The Lease was renewed well within its grace period of sandbox time: the clock
        # resumed where it stood instead of jumping over the idle stretch.
        silent = parse_time(renewed["spec"]["renewTime"]) - parse_time(lease["spec"]["renewTime"])
        assert silent < dt.timedelta(seconds=NODE_MONITOR_GRACE_PERIOD_SECONDS)

        # While the page is open the sandbox stays awake, past its quiet period.
        time.sleep(idle.quiet_wall_seconds(SPEED) + 2)
        assert not is_idle(fast_sandbox)
    wait_until_idle(fast_sandbox)  # the page closed: it rests again


def test_in_poll_mode_a_pod_created_in_an_idle_sandbox_is_scheduled_at_the_next_ask(
    stack, fast_sandbox, alice
):
    mode_set(fast_sandbox, Sandbox.Mode.POLL)
    wait_until_idle(fast_sandbox)
    api = ApiServer.as_user(fast_sandbox, alice)
    # In poll mode an unbound pod wakes nobody: the write's work mark wakes the sandbox at
    # beat's next look, and the scheduler finds the pod at its next periodic ask.
    api.create("pods", pod_manifest("web"), namespace="default")
    wait_for(phase_is(api, "web", "Running"), timeout=30)
