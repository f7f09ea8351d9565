"""How each kind of component runs inside a tick: its reconcile, fed by the task layer.

The reconcile functions in cluster/components know nothing of the ORM; these
adapters give them the API server (as that component), the sandbox clock and
their memory, and keep what they report (the scheduler's decisions).
"""

from __future__ import annotations

import random

from cluster.apiserver import ApiServer
from cluster.components.kubelet import kubelet_tick
from cluster.components.scheduler import scheduler_tick
from cluster.loops import ComponentKind, register
from cluster.models import ComponentState, Sandbox, SchedulingRecord

SCHEDULER_POLL_SECONDS = 5  # "about every five seconds", as the lesson tells it
KUBELET_RESYNC_SECONDS = 10  # node status and lease renewal


def run_scheduler(api: ApiServer, sandbox: Sandbox, row: ComponentState) -> None:
    decisions = scheduler_tick(api, sandbox, row.state, rng=random.Random())
    now = sandbox.now()
    records = []
    for decision in decisions:
        record = decision.as_dict()
        records.append(
            SchedulingRecord(
                sandbox=sandbox,
                namespace=record["pod"]["namespace"],
                pod=record["pod"]["name"],
                pod_uid=record["pod"]["uid"],
                node=decision.node_name or "",
                decision=record,
                sandbox_time=now,
            )
        )
    # In batches: a record lists every node that failed, so a pod pending on a big cluster
    # writes a large one.
    SchedulingRecord.objects.bulk_create(records, batch_size=20)
    retries = [
        entry["retryAfter"]
        for entry in row.state.get("backoff", {}).values()
        if entry.get("retryAfter")
    ]
    row.state["wake_at"] = min(retries) if retries else None


def run_kubelet(api: ApiServer, sandbox: Sandbox, row: ComponentState) -> None:
    kubelet_tick(api, sandbox, row.name.partition("/")[2], row.state)


register(
    ComponentKind(
        "scheduler", run_scheduler, poll_seconds=SCHEDULER_POLL_SECONDS, watch_seconds=None
    )
)
register(
    ComponentKind(
        "kubelet",
        run_kubelet,
        poll_seconds=KUBELET_RESYNC_SECONDS,
        watch_seconds=KUBELET_RESYNC_SECONDS,
    )
)
