"""Deleting a sandbox while its components work, on the real stack: every tick in flight
finishes first, and no tick queued or resynced after it writes or fails."""

from __future__ import annotations

import time

import pytest

from cluster.apiserver import ApiServer
from cluster.models import ComponentState, Sandbox, Trace
from cluster.models.store import StoreEvent, StoreKey
from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 12,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27.3"}]},
        },
    },
}


def rows_left(sandbox_id: int) -> dict[str, int]:
    return {
        model.__name__: model.objects.filter(sandbox_id=sandbox_id).count()
        for model in (StoreKey, StoreEvent, Trace, ComponentState)
    }


def test_deleting_a_busy_sandbox_stops_its_components_cleanly(
    stack, sandbox, alice, client, tmp_path
):
    api = ApiServer.as_user(sandbox, alice)
    api.create("deployments", DEPLOYMENT, namespace="default")
    # Mid-burst: the ReplicaSet controller, the scheduler and the kubelets all have work.
    wait_for(lambda: api.list("pods", namespace="default")["items"], timeout=30)

    client.force_login(alice)
    assert client.post(f"/sandboxes/{sandbox.pk}/delete/").status_code == 302
    assert not Sandbox.objects.filter(pk=sandbox.pk).exists()
    # Ticks queued before the delete, and wake-ups due after it, run and find nothing.
    time.sleep(6)

    assert rows_left(sandbox.pk) == dict.fromkeys(rows_left(sandbox.pk), 0)
    log = (tmp_path / "worker.log").read_text()
    assert "ERROR" not in log and "Traceback" not in log, log[-3000:]
    assert f"sandbox {sandbox.pk} " not in log  # no "tick of ... in sandbox N failed"
