"""A sandbox deleted while someone still writes into it (its page's traced reads): the
delete wins, whatever the timing; the writer is the one that fails."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from cluster.apiserver import ApiServer
from cluster.models import Sandbox, Trace
from cluster.sandboxes import SandboxLimitReached, sandbox_create_within_limit, sandbox_delete

pytestmark = pytest.mark.django_db(transaction=True)


def read_until_gone(sandbox: Sandbox, user, reading: threading.Event, stop: threading.Event):
    """Read the sandbox's pods as its page does, each read writing its trace, until told
    to stop or the sandbox goes away under it (expected, and not this test's concern)."""
    try:
        api = ApiServer.as_user(sandbox, user)
        while not stop.is_set():
            api.list("pods")
            reading.set()
    except Exception:
        pass
    finally:
        reading.set()
        connection.close()


def test_a_delete_racing_with_traced_reads_always_completes(alice):
    # The race's window is narrow (between the deletes of two tables): several tries.
    for attempt in range(10):
        sandbox = Sandbox.objects.create(owner=alice, name=f"racing-{attempt}")
        reading, stop = threading.Event(), threading.Event()
        reader = threading.Thread(target=read_until_gone, args=(sandbox, alice, reading, stop))
        reader.start()
        reading.wait(10)
        try:
            sandbox_delete(sandbox, alice)
        finally:
            stop.set()
            reader.join(10)
        assert not Sandbox.objects.filter(pk=sandbox.pk).exists()
        assert not Trace.objects.filter(sandbox_id=sandbox.pk).exists()


def test_two_creates_at_once_cannot_both_take_the_last_place(alice, settings):
    settings.PODLAB_MAX_SANDBOXES_PER_USER = 1
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def create() -> None:
        try:
            start.wait(10)
            sandbox_create_within_limit(owner=alice, name="mine", shape="lesson")
            outcomes.append("created")
        except SandboxLimitReached:
            outcomes.append("refused")
        finally:
            connection.close()

    creators = [threading.Thread(target=create) for _ in range(2)]
    for creator in creators:
        creator.start()
    for creator in creators:
        creator.join(60)
    assert sorted(outcomes) == ["created", "refused"]
    assert Sandbox.objects.filter(owner=alice).count() == 1
