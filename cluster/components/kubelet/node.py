"""The kubelet's node duties: register the Node, renew its Lease, post node status."""

from __future__ import annotations

import copy
import datetime as dt

from cluster.components.api import ClusterApi
from cluster.objects import format_micro_time, format_time, parse_time

LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION_SECONDS = 40
RENEW_SECONDS = 10  # lease renewal and node status, as the kubelet's defaults
STATUS_SECONDS = 10

_PRESSURE_CONDITIONS = (
    ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
)


def node_conditions(now: dt.datetime, previous: list[dict] | None = None) -> list[dict]:
    """The conditions a healthy kubelet reports; transition times move only on change."""
    before = {c["type"]: c for c in previous or []}
    stamp = format_time(now)
    conditions = []
    for kind, reason, message in (
        *_PRESSURE_CONDITIONS,
        ("Ready", "KubeletReady", "kubelet is posting ready status"),
    ):
        status = "True" if kind == "Ready" else "False"
        old = before.get(kind, {})
        conditions.append(
            {
                "type": kind,
                "status": status,
                "reason": reason,
                "message": message,
                "lastHeartbeatTime": stamp,
                "lastTransitionTime": old.get("lastTransitionTime", stamp)
                if old.get("status") == status
                else stamp,
            }
        )
    return conditions


def renew_lease(api: ClusterApi, node_name: str, now: dt.datetime) -> None:
    try:
        lease = api.get("leases", node_name, namespace=LEASE_NAMESPACE)
    except Exception as error:
        if getattr(error, "code", None) != 404:
            raise
        api.create(
            "leases",
            {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": node_name, "namespace": LEASE_NAMESPACE},
                "spec": {
                    "holderIdentity": node_name,
                    "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                    "renewTime": format_micro_time(now),
                },
            },
            namespace=LEASE_NAMESPACE,
        )
        return
    lease["spec"]["renewTime"] = format_micro_time(now)
    api.update("leases", lease, namespace=LEASE_NAMESPACE)


def post_node_status(api: ClusterApi, node: dict, now: dt.datetime, images: list[dict]) -> dict:
    updated = copy.deepcopy(node)
    status = updated.setdefault("status", {})
    status["conditions"] = node_conditions(now, status.get("conditions"))
    status["images"] = images
    return api.update_status("nodes", updated)


def due(last: str | None, now: dt.datetime, every_seconds: int) -> bool:
    return last is None or now - parse_time(last) >= dt.timedelta(seconds=every_seconds)
