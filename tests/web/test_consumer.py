"""The sandbox websocket: who may connect, the first snapshot, resync, stale batches."""

from __future__ import annotations

import dataclasses
import time

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
        while second["type"] == "changes":  # the first snapshot's reads, pushed late
            second = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return first, second

    first, second = async_to_sync(scenario)()
    assert first["type"] == second["type"] == "snapshot"
    names = [n["metadata"]["name"] for n in first["nodes"]]
    assert names == ["control-plane", "node-1", "node-2"]
    # 4 namespaces, 3 nodes, the default/kubernetes Service, its Endpoints and EndpointSlice.
    assert first["revision"] == 10
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
    from cluster.clock import clock_set_speed

    async def scenario():
        socket = socket_for(sandbox.pk, alice)
        await socket.connect()
        first = await socket.receive_json_from(timeout=5)
        await database_sync_to_async(clock_set_speed)(sandbox, 10.0)
        await socket.send_json_to({"type": "resync"})
        second = await socket.receive_json_from(timeout=5)
        while second["type"] == "changes":  # the first snapshot's reads, pushed late
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


# -- what a client sends: whatever it is, the consumer goes on ---------------------------

MALFORMED = [
    "not json",
    "{",
    "[1, 2]",
    '"resync"',
    "5",
    "null",
    '{"type": 5}',
    '{"type": ["resync"]}',
    '{"type": {"resync": true}}',
    '{"type": null}',
    '{"type": "no-such-type"}',
    '{"kind": "resync"}',
    "[" * 100_000 + "]" * 100_000,  # nested past the JSON parser's depth
]


def test_a_malformed_message_is_ignored_and_the_socket_goes_on(sandbox, alice):
    async def scenario():
        socket = socket_for(sandbox.pk, alice)
        await socket.connect()
        assert (await socket.receive_json_from(timeout=5))["type"] == "snapshot"
        for text in MALFORMED:
            await socket.send_to(text_data=text)
        await socket.send_to(bytes_data=b"\x00\xff binary")
        # Nothing answers them (pushed batches of the snapshot's reads aside)...
        answers = []
        while not await socket.receive_nothing(timeout=0.5):
            answers.append(await socket.receive_json_from(timeout=1))
        # ...and the consumer still serves: a resync gets its snapshot.
        await socket.send_json_to({"type": "resync"})
        snapshot = await socket.receive_json_from(timeout=5)
        while snapshot["type"] == "changes":
            snapshot = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return answers, snapshot

    answers, snapshot = async_to_sync(scenario)()
    assert {answer["type"] for answer in answers} <= {"changes"}
    assert snapshot["type"] == "snapshot"


# -- losing access while the socket is open ----------------------------------------------


async def refusal_after(socket, change) -> tuple[dict, dict, float]:
    """Make the change, then wait for the socket's error and close; how long it took."""
    await database_sync_to_async(change)()
    started = time.monotonic()
    message = await socket.receive_json_from(timeout=10)
    while message["type"] == "changes":  # pushed before access was lost
        message = await socket.receive_json_from(timeout=10)
    closed = await socket.receive_output(timeout=5)
    return message, closed, time.monotonic() - started


def lose_access(sandbox_id: int, user, change, *, session=None) -> tuple[dict, dict, float]:
    async def scenario():
        socket = socket_for(sandbox_id, user)
        if session is not None:
            socket.scope["session"] = session
        await socket.connect()
        assert (await socket.receive_json_from(timeout=5))["type"] == "snapshot"
        return await refusal_after(socket, change)

    return async_to_sync(scenario)()


def assert_closed_within_seconds(answer, code: int) -> None:
    from sandbox.socket_watch import ACCESS_CHECK_SECONDS

    message, closed, took = answer
    assert message["type"] == "error"
    assert message["status"]["code"] == code - 4000
    assert closed["type"] == "websocket.close"
    assert closed["code"] == code
    assert took < ACCESS_CHECK_SECONDS + 2


def test_a_deactivated_user_is_closed_within_seconds(sandbox, alice):
    def deactivate():
        type(alice).objects.filter(pk=alice.pk).update(is_active=False)

    assert_closed_within_seconds(lose_access(sandbox.pk, alice, deactivate), 4401)


def test_a_user_who_logged_out_elsewhere_is_closed(sandbox, alice):
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    browser = Client()
    browser.force_login(alice)
    session = SessionStore(session_key=browser.session.session_key)

    assert_closed_within_seconds(
        lose_access(sandbox.pk, alice, lambda: browser.post("/logout/"), session=session), 4401
    )


def test_the_instructor_of_a_student_who_left_the_class_is_closed(sandbox, classroom, teacher):
    def leave():
        classroom.students.remove(sandbox.owner)

    assert_closed_within_seconds(lose_access(sandbox.pk, teacher, leave), 4404)


def test_an_instructor_replaced_in_the_class_is_closed(sandbox, classroom, teacher, bob):
    def replace():
        type(classroom).objects.filter(pk=classroom.pk).update(instructor=bob)

    assert_closed_within_seconds(lose_access(sandbox.pk, teacher, replace), 4404)


def test_the_viewers_of_a_deleted_sandbox_are_closed(sandbox, alice):
    def delete():
        type(sandbox).objects.filter(pk=sandbox.pk).delete()

    assert_closed_within_seconds(lose_access(sandbox.pk, alice, delete), 4404)


def test_a_resync_asks_again_who_the_user_is_now(sandbox, alice, monkeypatch):
    """A resync right after losing access gets no snapshot, even before the next check."""
    from sandbox import socket_watch

    monkeypatch.setattr(socket_watch, "ACCESS_CHECK_SECONDS", 60)

    async def scenario():
        socket = socket_for(sandbox.pk, alice)
        await socket.connect()
        assert (await socket.receive_json_from(timeout=5))["type"] == "snapshot"
        await database_sync_to_async(
            lambda: type(alice).objects.filter(pk=alice.pk).update(is_active=False)
        )()
        await socket.send_json_to({"type": "resync"})
        message = await socket.receive_json_from(timeout=5)
        while message["type"] == "changes":
            message = await socket.receive_json_from(timeout=5)
        closed = await socket.receive_output(timeout=5)
        return message, closed

    message, closed = async_to_sync(scenario)()
    assert message["type"] == "error"
    assert message["status"]["code"] == 401
    assert closed["code"] == 4401


def test_a_close_reason_fits_in_a_close_frame():
    from cluster.apiserver import ApiError
    from sandbox.consumers import close_reason

    long = ApiError(404, "NotFound", "sandbox " + "é" * 200 + " not found")
    reason = close_reason(long)
    assert reason.startswith("404 NotFound: sandbox é")
    assert len(reason.encode()) <= 123


def test_a_user_still_logged_in_and_allowed_stays_connected(sandbox, alice, monkeypatch):
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    from sandbox import socket_watch

    monkeypatch.setattr(socket_watch, "ACCESS_CHECK_SECONDS", 0.1)
    browser = Client()
    browser.force_login(alice)

    async def scenario():
        socket = socket_for(sandbox.pk, alice)
        socket.scope["session"] = SessionStore(session_key=browser.session.session_key)
        await socket.connect()
        assert (await socket.receive_json_from(timeout=5))["type"] == "snapshot"
        seen = []
        while not await socket.receive_nothing(timeout=1.0):  # about ten checks
            seen.append(await socket.receive_output(timeout=1))
        await socket.send_json_to({"type": "resync"})
        snapshot = await socket.receive_json_from(timeout=5)
        while snapshot["type"] == "changes":
            snapshot = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return seen, snapshot

    seen, snapshot = async_to_sync(scenario)()
    assert all(message["type"] == "websocket.send" for message in seen)  # no close
    assert snapshot["type"] == "snapshot"


def test_one_watch_closes_only_the_socket_whose_user_lost_access(sandbox, classroom, teacher, bob):
    """The owner and the instructor watch one sandbox from one process: the instructor,
    replaced in the class, is closed; the owner's socket goes on and still gets pushes."""
    from cluster.apiserver import ApiServer

    async def scenario():
        owner = socket_for(sandbox.pk, sandbox.owner)
        instructor = socket_for(sandbox.pk, teacher)
        for socket in (owner, instructor):
            await socket.connect()
            assert (await socket.receive_json_from(timeout=5))["type"] == "snapshot"
        replaced = await refusal_after(
            instructor,
            lambda: type(classroom).objects.filter(pk=classroom.pk).update(instructor=bob),
        )
        pod = {
            "metadata": {"name": "still-here"},
            "spec": {"containers": [{"name": "a", "image": "nginx"}]},
        }
        await database_sync_to_async(
            lambda: ApiServer.as_user(sandbox, sandbox.owner).create(
                "pods", pod, namespace="default"
            )
        )()
        pushed = await owner.receive_json_from(timeout=5)
        while not pushed.get("events"):  # reads traced on the way
            pushed = await owner.receive_json_from(timeout=5)
        await owner.disconnect()
        return replaced, pushed

    replaced, pushed = async_to_sync(scenario)()
    assert_closed_within_seconds(replaced, 4404)
    assert pushed["events"][0]["object"]["metadata"]["name"] == "still-here"


def test_a_pass_over_many_sockets_costs_as_many_queries_as_over_one(
    sandbox, alice, bob, django_assert_max_num_queries
):
    """Fifty sockets, each with a session of its own, of two users: the sessions, users
    and sandboxes are each read in one query, and only bob's sockets are refused."""
    from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from sandbox.socket_watch import Access, refusals

    def socket_of(user) -> Access:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session.create()
        return Access(session.session_key, user.pk, sandbox.pk)

    one = [socket_of(alice)]
    many = [socket_of(alice) for _ in range(40)] + [socket_of(bob) for _ in range(10)]
    with django_assert_max_num_queries(10) as first:
        assert refusals(one) == {}
    with django_assert_max_num_queries(len(first.captured_queries)):
        refused = refusals(many)
    assert set(refused) == set(many[40:])
    assert {lost.code for lost in refused.values()} == {404}


def _create_pod(sandbox, name: str) -> int:
    """Create a pod as the owner; the store's revision after it."""
    from cluster.apiserver import ApiServer

    pod = {"metadata": {"name": name}, "spec": {"containers": [{"name": "a", "image": "nginx"}]}}
    created = ApiServer.as_user(sandbox, sandbox.owner).create("pods", pod, namespace="default")
    return int(created["metadata"]["resourceVersion"])


def _snapshots_within(socket: WebsocketCommunicator, seconds: float):
    """Every snapshot the socket is sent within `seconds` (changes skipped)."""

    async def collect() -> list[dict]:
        snapshots = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if await socket.receive_nothing(timeout=min(left, 0.2)):
                continue
            message = await socket.receive_json_from(timeout=5)
            if message["type"] == "snapshot":
                snapshots.append(message)
        return snapshots

    return collect()


def test_a_page_whose_push_was_lost_is_resynced_and_one_pushed_is_not(sandbox, alice, monkeypatch):
    """A Redis restart between two of the watch's pings loses a push unseen: the watch,
    comparing what the socket was pushed with what its store reached, resyncs the page.
    A push that arrived causes no snapshot."""
    from cluster.apiserver import server
    from sandbox import socket_watch

    monkeypatch.setattr(socket_watch, "ACCESS_CHECK_SECONDS", 0.1)
    monkeypatch.setattr(socket_watch, "PUSH_GRACE_SECONDS", 0.5)
    publish = server.publish_changes

    async def scenario():
        socket = socket_for(sandbox.pk, alice)
        await socket.connect()
        assert (await socket.receive_json_from(timeout=5))["type"] == "snapshot"
        await database_sync_to_async(_create_pod)(sandbox, "pushed")
        after_a_push = await _snapshots_within(socket, 2.0)
        monkeypatch.setattr(server, "publish_changes", lambda *args, **kwargs: None)
        written = await database_sync_to_async(_create_pod)(sandbox, "push-lost")
        monkeypatch.setattr(server, "publish_changes", publish)
        after_a_loss = await _snapshots_within(socket, 3.0)
        await socket.disconnect()
        return after_a_push, after_a_loss, written

    after_a_push, after_a_loss, written = async_to_sync(scenario)()
    assert after_a_push == []
    assert len(after_a_loss) == 1
    assert after_a_loss[0]["revision"] >= written
    assert "push-lost" in {pod["metadata"]["name"] for pod in after_a_loss[0]["pods"]}
