"""The broker's priorities (cluster.tasks): the pod-startup path's ticks wait in the list
a worker takes first, the controllers' in the one it takes after, on real Redis."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from cluster import tasks
from cluster.coordination import redis_client

NO_SANDBOX = 987_654  # no worker runs here, and a tick for it would find nothing to do


@pytest.fixture
def queues():
    """The queue's FIRST and AFTER lists, and NO_SANDBOX's marks, emptied before and after
    the test (a mark left by an earlier run would hold a wake-up back as already queued)."""
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    names = {"first": queue, "after": f"{queue}:{tasks.AFTER}"}

    def empty() -> None:
        client = redis_client()
        client.delete(*names.values(), *client.keys(f"{queue}:*:{NO_SANDBOX}:*"))

    empty()
    yield names
    empty()


def queued(name: str) -> list[str]:
    """The components whose ticks for NO_SANDBOX wait in one list."""
    components = []
    for raw in redis_client().lrange(name, 0, -1):
        args = json.loads(raw)["headers"]["argsrepr"]  # "(987654, 'scheduler')"
        if str(NO_SANDBOX) in args:
            components.append(args.split("'")[1])
    return components


def test_a_wake_up_of_the_scheduler_or_a_kubelet_goes_first_a_controller_s_after(queues):
    tasks.enqueue_tick(NO_SANDBOX, "controller-manager/endpointslice")
    tasks.enqueue_tick(NO_SANDBOX, "scheduler")
    tasks.enqueue_tick(NO_SANDBOX, "kubelet/node-1")
    assert sorted(queued(queues["first"])) == ["kubelet/node-1", "scheduler"]
    assert queued(queues["after"]) == ["controller-manager/endpointslice"]


@pytest.mark.django_db
def test_a_due_tick_that_is_not_first_yields_to_first_work(queues):
    """A countdown tick is held by the worker that took it; when due, it would run ahead of
    the broker's lists: one that is not FIRST checks for waiting FIRST work and requeues
    itself behind it."""
    tasks.enqueue_tick(NO_SANDBOX, "scheduler")  # FIRST work waiting
    tasks.tick.run(NO_SANDBOX, "kubelet/node-2", due=True, yields=True)  # a heartbeat
    assert queued(queues["after"]) == ["kubelet/node-2"]
    redis_client().delete(queues["first"])
    redis_client().delete(queues["after"])
    tasks.tick.run(NO_SANDBOX, "kubelet/node-2", due=True, yields=True)  # nothing waits: runs
    assert queued(queues["after"]) == []
