"""Two OS processes writing to one sandbox at once still get gap-free, ordered revisions,
and their compare-and-swap updates of one shared key lose no update."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cluster.models.store import StoreEvent, StoreKey
from cluster.store import Store
from tests.processes import subprocess_database_url

WRITER = Path(__file__).with_name("concurrent_writer.py")
WRITES_PER_PROCESS = 60


@pytest.mark.django_db(transaction=True)
def test_two_processes_get_gap_free_strictly_increasing_revisions(bare_sandbox):
    root = Path(__file__).resolve().parents[2]
    counter = Store(bare_sandbox.pk).put(
        "/registry/configmaps/default/counter", {"metadata": {"name": "counter"}, "data": {"n": 0}}
    )
    assert counter.revision == 1
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "PYTHONPATH": str(root)}
    writers = [
        subprocess.Popen(
            [sys.executable, str(WRITER), str(bare_sandbox.pk), label, str(WRITES_PER_PROCESS)],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for label in ("left", "right")
    ]
    results = []
    for writer in writers:
        out, err = writer.communicate(timeout=240)
        assert writer.returncode == 0, err
        results.append(json.loads(out))

    # Per round: a create, an update, and one successful increment of the counter.
    total = 1 + 2 * 3 * WRITES_PER_PROCESS
    store = Store(bare_sandbox.pk)
    assert store.revision() == total
    logged = list(
        StoreEvent.objects.filter(sandbox=bare_sandbox)
        .order_by("id")
        .values_list("revision", flat=True)
    )
    assert sorted(logged) == list(range(1, total + 1)), "every revision used exactly once"
    assert logged == sorted(logged), "log order (commit order) is revision order"
    for result in results:
        revisions = result["revisions"]
        assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)
    assert StoreKey.objects.filter(sandbox=bare_sandbox).count() == 2 * WRITES_PER_PROCESS + 1
    shared = store.get("/registry/configmaps/default/counter")
    assert shared.value["data"]["n"] == 2 * WRITES_PER_PROCESS, "no increment was lost"
    assert shared.version == 1 + 2 * WRITES_PER_PROCESS, "a lost race wrote nothing"
