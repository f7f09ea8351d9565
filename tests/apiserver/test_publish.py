"""After commit, store events and traces reach the sandbox's group; a rollback sends nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db import connections, transaction

from cluster.apiserver import ApiError, ApiServer, publish
from sandbox.routing import websocket_urlpatterns
from tests.apiserver.manifests import pod_manifest
from tests.processes import ROOT, subprocess_database_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_pushes_left_from_earlier_tests():
    """Sandbox ids are reused between tests; let earlier tests' pushes go out first."""
    assert publish.flush()


async def next_batch_with_events(socket: WebsocketCommunicator) -> dict:
    """Skip batches that only carry traces of reads (such as the socket's own snapshot)."""
    while True:
        message = await socket.receive_json_from(timeout=5)
        if message.get("events"):
            return message


def socket_for(sandbox_id: int, user) -> WebsocketCommunicator:
    """The production websocket routes, with the user in the scope as the session puts it."""
    communicator = WebsocketCommunicator(
        AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), f"/ws/sandboxes/{sandbox_id}/"
    )
    communicator.scope["user"] = user
    return communicator


async def open_socket(sandbox_id: int, user) -> WebsocketCommunicator:
    communicator = socket_for(sandbox_id, user)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def test_a_committed_create_is_pushed_with_its_event_and_trace(sandbox, alice):
    async def scenario():
        socket = await open_socket(sandbox.pk, alice)
        hello = await socket.receive_json_from(timeout=5)
        assert hello["type"] == "snapshot"
        await _in_thread(
            lambda: ApiServer.as_user(sandbox, alice).create(
                "pods", pod_manifest("web"), namespace="default"
            )
        )
        message = await next_batch_with_events(socket)
        await socket.disconnect()
        return hello, message

    hello, message = async_to_sync(scenario)()
    assert message["type"] == "changes"
    assert message["revision"] > hello["revision"]
    (event,) = message["events"]
    assert (event["type"], event["key"], event["revision"]) == (
        "ADDED",
        "/registry/pods/default/web",
        message["revision"],
    )
    assert event["object"]["metadata"]["resourceVersion"] == str(message["revision"])
    (trace,) = message["traces"]
    assert (trace["actor"], trace["verb"], trace["code"], trace["revision"]) == (
        "alice",
        "create",
        201,
        message["revision"],
    )


def test_a_rolled_back_write_publishes_nothing(sandbox, alice):
    class Rollback(Exception):
        pass

    def write_then_roll_back():
        with pytest.raises(Rollback), transaction.atomic():
            ApiServer.as_user(sandbox, alice).create(
                "pods", pod_manifest("lost"), namespace="default"
            )
            raise Rollback

    def committed_write():
        ApiServer.as_user(sandbox, alice).create("pods", pod_manifest("kept"), namespace="default")

    async def scenario():
        socket = await open_socket(sandbox.pk, alice)
        await socket.receive_json_from(timeout=5)
        await _in_thread(write_then_roll_back)
        await _in_thread(committed_write)
        message = await next_batch_with_events(socket)
        nothing_else = await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return message, nothing_else

    message, nothing_else = async_to_sync(scenario)()
    # The first message to arrive is the committed one: the rolled-back create sent nothing.
    assert [e["key"] for e in message["events"]] == ["/registry/pods/default/kept"]
    assert nothing_else


def test_a_refused_call_by_another_student_is_not_pushed_to_the_sandbox(sandbox, alice, bob):
    def refused_write():
        with pytest.raises(ApiError):
            ApiServer.as_user(sandbox, bob).create(
                "pods", pod_manifest("graffiti"), namespace="default"
            )

    def committed_write():
        ApiServer.as_user(sandbox, alice).create("pods", pod_manifest("kept"), namespace="default")

    async def scenario():
        socket = await open_socket(sandbox.pk, alice)
        await socket.receive_json_from(timeout=5)
        await _in_thread(refused_write)
        await _in_thread(committed_write)
        seen = []
        while not any(m.get("events") for m in seen):
            seen.append(await socket.receive_json_from(timeout=5))
        await socket.disconnect()
        return seen

    seen = async_to_sync(scenario)()
    actors = {trace["actor"] for message in seen for trace in message.get("traces", [])}
    assert "bob" not in actors
    assert "alice" in actors


def test_another_student_cannot_open_the_sandbox_socket(sandbox, bob):
    async def scenario():
        socket = socket_for(sandbox.pk, bob)
        await socket.connect()
        message = await socket.receive_json_from(timeout=5)
        closed = await socket.receive_output(timeout=5)
        return message, closed

    message, closed = async_to_sync(scenario)()
    assert message["status"]["code"] == 404
    assert closed == {
        "type": "websocket.close",
        "code": 4404,
        "reason": f'404 NotFound: sandbox "{sandbox.pk}" not found',
    }


async def _in_thread(work):
    """Run work in a thread of its own; its database connection closes with it, or the
    test database could not be dropped at the end of the run."""

    def run() -> None:
        try:
            work()
        finally:
            connections.close_all()

    await sync_to_async(run, thread_sensitive=False)()


def test_watchers_are_told_after_commit_without_holding_up_the_call(sandbox, alice):
    """store_committed reaches its receivers from the publisher thread, once per
    committed write, with the watch events; the API call does not wait for them."""
    told: list[tuple[str, list[str], bool]] = []
    caller = threading.get_ident()

    def receiver(sender, *, sandbox, actor, events, **kwargs):
        told.append((actor, [e["key"] for e in events], threading.get_ident() != caller))

    assert publish.flush()  # the sandbox's own set-up writes are told first
    publish.store_committed.connect(receiver, weak=False, dispatch_uid="test-watchers")
    try:
        api = ApiServer.as_user(sandbox, alice)
        api.create("pods", pod_manifest("web"), namespace="default")
        api.get("pods", "web", namespace="default")  # a read tells no watcher
        assert publish.flush()
    finally:
        publish.store_committed.disconnect(dispatch_uid="test-watchers")
    assert told == [("alice", ["/registry/pods/default/web"], True)]


def test_a_short_process_delivers_its_pushes_before_it_exits(sandbox, alice, tmp_path):
    """The publisher thread is a daemon; without the flush at exit a management command's
    last writes would never reach the page or the watchers."""
    told = tmp_path / "told"
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("short_process.py")),
            str(sandbox.pk),
            alice.username,
            str(told),
        ],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    assert told.read_text().splitlines() == ["/registry/pods/default/brief"]


def test_pushes_go_to_the_channel_the_pubsub_layer_subscribes_to(settings):
    """The publisher PUBLISHes itself; its channel must stay the layer's own."""
    from channels_redis.pubsub import RedisPubSubLoopLayer

    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    layer = RedisPubSubLoopLayer(hosts=config["hosts"], prefix=config["prefix"])
    group = publish.sandbox_group(7)
    assert publish.pubsub_channel(group) == layer._get_group_channel_name(group)


def test_consecutive_changes_by_one_caller_tell_the_watchers_once(sandbox, bare_sandbox):
    def changes(where, actor: str, *keys: str) -> publish._Changes:
        events = [{"key": key} for key in keys]
        return publish._Changes(where, actor, {"events": events})

    told = publish._watchers_to_tell(
        [
            changes(sandbox, "scheduler", "/registry/pods/default/a"),
            changes(sandbox, "scheduler", "/registry/pods/default/b"),
            changes(sandbox, "alice"),  # a read: nothing to tell
            changes(sandbox, "scheduler", "/registry/pods/default/c"),
            changes(sandbox, "kubelet/node-1", "/registry/pods/default/a"),
            changes(bare_sandbox, "kubelet/node-1", "/registry/pods/default/a"),
        ]
    )
    assert [(w.sandbox, w.actor, [e["key"] for e in w.events]) for w in told] == [
        (sandbox, "scheduler", ["/registry/pods/default/" + n for n in "abc"]),
        (sandbox, "kubelet/node-1", ["/registry/pods/default/a"]),
        (bare_sandbox, "kubelet/node-1", ["/registry/pods/default/a"]),
    ]


def test_watchers_that_could_not_be_told_are_told_again_once_it_works(sandbox, alice):
    """Redis down as a change commits: its wake-up is delayed, not lost, and later
    changes are told after it, in order."""
    told: list[list[str]] = []
    failures = iter([True, True])  # the first two tries find Redis down

    def receiver(sender, *, sandbox, actor, events, **kwargs):
        if next(failures, False):
            raise ConnectionError("Redis is down")
        told.append([e["key"] for e in events])

    assert publish.flush()
    publish.store_committed.connect(receiver, weak=False, dispatch_uid="test-retell")
    try:
        api = ApiServer.as_user(sandbox, alice)
        api.create("pods", pod_manifest("first"), namespace="default")
        api.create("pods", pod_manifest("second"), namespace="default")
        assert publish.flush(timeout=10)  # it waits for the retold ones too
    finally:
        publish.store_committed.disconnect(dispatch_uid="test-retell")
    assert told == [["/registry/pods/default/first", "/registry/pods/default/second"]]
