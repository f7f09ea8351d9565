"""Two OS processes writing to one sandbox at once still get gap-free, ordered revisions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cluster.models import StoreEvent, StoreKey
from cluster.store import Store
from tests.processes import subprocess_database_url

WRITER = Path(__file__).with_name("concurrent_writer.py")
WRITES_PER_PROCESS = 60


@pytest.mark.django_db(transaction=True)
def test_two_processes_get_gap_free_strictly_increasing_revisions(bare_sandbox):
    root = Path(__file__).resolve().parents[2]
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

    total = 2 * 2 * WRITES_PER_PROCESS
    assert Store(bare_sandbox.pk).revision() == total
    logged = list(
        StoreEvent.objects.filter(sandbox=bare_sandbox)
        .order_by("id")
        .values_list("revision", flat=True)
    )
    assert sorted(logged) == list(range(1, total + 1)), "every revision used exactly once"
    assert logged == sorted(logged), "log order (commit order) is revision order"
    for revisions in results:
        assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)
    assert StoreKey.objects.filter(sandbox=bare_sandbox).count() == 2 * WRITES_PER_PROCESS
