"""The snapshot's traces: the latest calls, and the latest that tell a step even after a
running clock's heartbeats have pushed them out of the latest (a page opened a few
minutes after the student's create must not show an empty timeline)."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiServer
from cluster.models import Trace
from sandbox.selectors import SNAPSHOT_TRACES, sandbox_snapshot
from tests.apiserver.manifests import pod_manifest

pytestmark = pytest.mark.django_db


def heartbeats(sandbox, count: int) -> None:
    """A kubelet renewing its node's Lease, `count` times (a few minutes at x5)."""
    kubelet = ApiServer.as_component(sandbox, "kubelet/node-1")
    lease = {"metadata": {"name": "node-1"}, "spec": {"holderIdentity": "node-1"}}
    kubelet.create("leases", lease, namespace="kube-node-lease")
    for _ in range(count):
        lease = kubelet.get("leases", "node-1", namespace="kube-node-lease")
        kubelet.update("leases", lease, namespace="kube-node-lease")


def test_the_students_create_outlives_the_heartbeats_after_it(sandbox, alice):
    ApiServer.as_user(sandbox, alice).create("pods", pod_manifest("web"), namespace="default")
    heartbeats(sandbox, SNAPSHOT_TRACES)

    traces = sandbox_snapshot(sandbox, alice)["traces"]

    creates = [
        t for t in traces if (t["actor"], t["verb"], t["name"]) == ("alice", "create", "web")
    ]
    assert len(creates) == 1
    latest = list(Trace.objects.filter(sandbox=sandbox).order_by("-id")[:SNAPSHOT_TRACES])
    assert {t["id"] for t in traces} >= {t.pk for t in latest}  # the latest are all there
    assert [t["id"] for t in traces] == sorted(t["id"] for t in traces)  # oldest first
