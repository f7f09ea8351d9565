"""The worker keeps its database connections from one tick to the next."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from cluster.models import Sandbox, Trace
from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def backends() -> set[int]:
    """The PostgreSQL backends serving the test database, this process's own aside."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def test_ticks_reuse_the_worker_s_connections_instead_of_opening_one_each(stack, sandbox: Sandbox):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server connections to keep")
    # The components tick (a watch wake-up, then beat's resyncs every second).
    wait_for(lambda: Trace.objects.filter(sandbox=sandbox, actor="kubelet/node-1").exists())
    ticks = Trace.objects.filter(sandbox=sandbox).count()
    before = wait_for(backends, timeout=10)  # the worker's connections, and beat's
    time.sleep(3)  # beat's resync runs three times, and the sandbox's ticks with it
    after = backends()
    assert Trace.objects.filter(sandbox=sandbox).count() > ticks, "the worker ran ticks"
    # Each task used to close its connection and open a new one at its first query: a
    # backend seen once was gone a moment later.
    assert before <= after
