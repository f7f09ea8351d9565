"""The sandbox websocket: who may connect, the first snapshot, resync, stale batches."""

from __future__ import annotations

import dataclasses

import pytest
from asgiref.sync import async_to_sync
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from cluster.apiserver.publish import CHANGES_MESSAGE_TYPE, sandbox_group
from sandbox.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)


def socket_for(sandbox_id: int, user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), f"/ws/sandboxes/{sandbox_id}/"
    )
    communicator.scope["user"] = user
    return communicator


def test_an_anonymous_visitor_gets_401_and_is_closed(sandbox):
    async def scenario():
        socket = socket_for(sandbox.pk, AnonymousUser())
        await socket.connect()
        message = await socket.receive_json_from(timeout=5)
        closed = await socket.receive_output(timeout=5)
        return message, closed

    message, closed = async_to_sync(scenario)()
    assert message["status"]["code"] == 401
    assert closed["code"] == 4401


def test_a_missing_sandbox_is_404(alice):
    async def scenario():
        socket = socket_for(999999, alice)
        await socket.connect()
        return await socket.receive_json_from(timeout=5)

    assert async_to_sync(scenario)()["status"]["code"] == 404


def test_the_owner_gets_a_snapshot_first_and_another_on_resync(sandbox, alice):
    async def scenario():
        socket = socket_for(sandbox.pk, alice)
        await socket.connect()
        first = await socket.receive_json_from(timeout=5)
        await socket.send_json_to({"type": "resync"})
        second = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return first, second

    first, second = async_to_sync(scenario)()
    assert first["type"] == second["type"] == "snapshot"
    names = [n["metadata"]["name"] for n in first["nodes"]]
    assert names == ["control-plane", "node-1", "node-2"]
    # 4 namespaces, 3 nodes, the default/kubernetes Service and its EndpointSlice.
    assert first["revision"] == 9
    assert {c["name"] for c in first["components"]} >= {
        "scheduler",
        "kubelet/control-plane",
        "kubelet/node-1",
        "kubelet/node-2",
        "kube-proxy/control-plane",
        "kube-proxy/node-1",
        "kube-proxy/node-2",
    }
    assert first["sandbox"]["mode"] == "watch"
    assert second["revision"] == first["revision"]


def test_batches_older_than_the_snapshot_are_not_forwarded(sandbox, alice):
    async def scenario():
        socket = socket_for(sandbox.pk, alice)
        await socket.connect()
        snapshot = await socket.receive_json_from(timeout=5)
        layer = get_channel_layer()
        group = sandbox_group(sandbox.pk)
        stale = {
            "type": CHANGES_MESSAGE_TYPE,
            "revision": snapshot["revision"] - 1,
            "events": [{"type": "ADDED"}],
            "traces": [],
        }
        fresh = {**stale, "revision": snapshot["revision"] + 1}
        await layer.group_send(group, stale)
        await layer.group_send(group, fresh)
        # The snapshot's own read is traced and pushed too, in a batch with no events.
        forwarded = await socket.receive_json_from(timeout=5)
        while not forwarded["events"]:
            forwarded = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return snapshot, forwarded

    snapshot, forwarded = async_to_sync(scenario)()
    assert forwarded["revision"] == snapshot["revision"] + 1


def test_a_snapshot_too_big_for_one_message_comes_in_parts(sandbox, alice, monkeypatch):
    from cluster.apiserver import ApiServer
    from sandbox import consumers

    api = ApiServer.as_user(sandbox, alice)
    for i in range(6):
        pod = {
            "metadata": {"name": f"web-{i}"},
            "spec": {"containers": [{"name": "a", "image": "nginx"}]},
        }
        api.create("pods", pod, namespace="default")
    monkeypatch.setattr(consumers, "MESSAGE_BYTES", 4000)

    async def scenario():
        socket = socket_for(sandbox.pk, alice)
        await socket.connect()
        first = await socket.receive_json_from(timeout=5)
        parts = [await socket.receive_json_from(timeout=5) for _ in range(first["parts"] - 1)]
        await socket.disconnect()
        return first, parts

    first, parts = async_to_sync(scenario)()
    assert first["type"] == "snapshot" and first["parts"] > 1
    assert {part["type"] for part in parts} == {"snapshot-part"}
    assert {part["revision"] for part in parts} == {first["revision"]}
    names = [pod["metadata"]["name"] for message in [first, *parts] for pod in message["pods"]]
    assert names == [f"web-{i}" for i in range(6)]


def test_a_batch_is_encoded_once_for_every_viewer_of_the_process():
    from sandbox.consumers import encoded_changes

    def batch(revision: int) -> dict:
        trace = {"id": revision * 10, "verb": "patch"}
        event = {"key": "/registry/pods/default/web", "revision": revision}
        message = {"type": CHANGES_MESSAGE_TYPE, "sandbox": 1, "revision": revision}
        return {**message, "events": [event], "traces": [trace]}

    first = encoded_changes(batch(7))
    assert encoded_changes(batch(7)) is first
    assert '"type": "changes"' in first
    assert encoded_changes(batch(8)) != first


def test_a_resync_snapshot_tells_the_clock_as_it_is_now(sandbox, alice):
    """A speed change after the socket connected is in the next snapshot: a snapshot
    with the clock as it was at connect set the page's speed back to x1."""
    from cluster.sandboxes import clock_set_speed

    async def scenario():
        socket = socket_for(sandbox.pk, alice)
        await socket.connect()
        first = await socket.receive_json_from(timeout=5)
        await database_sync_to_async(clock_set_speed)(sandbox, 10.0)
        await socket.send_json_to({"type": "resync"})
        second = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return first, second

    first, second = async_to_sync(scenario)()
    assert first["sandbox"]["speed"] == 1.0
    assert second["sandbox"]["speed"] == 10.0


def test_a_failing_component_is_told_to_the_viewers_as_it_starts(sandbox, alice, monkeypatch):
    from asgiref.sync import sync_to_async

    from cluster import loops
    from cluster.apiserver.publish import flush

    def broken(api, sandbox, row):
        raise RuntimeError("disk full")

    kubelet = loops.KINDS["kubelet"]
    monkeypatch.setitem(loops.KINDS, "kubelet", dataclasses.replace(kubelet, reconcile=broken))

    def failing_tick():
        loops.run_tick(sandbox.pk, "kubelet/node-1")
        flush()

    async def scenario():
        socket = socket_for(sandbox.pk, alice)
        await socket.connect()
        await socket.receive_json_from(timeout=5)  # the snapshot
        await sync_to_async(failing_tick)()
        note = await socket.receive_json_from(timeout=5)
        while note["type"] == "changes":  # the sandbox's own set-up, pushed late
            note = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return note

    note = async_to_sync(scenario)()
    assert note == {
        "type": "component",
        "name": "kubelet/node-1",
        "running": True,
        "failure": "RuntimeError: disk full",
        "failingSince": note["failingSince"],
    }
    assert note["failingSince"]
