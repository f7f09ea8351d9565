"""How each kind of component runs inside a tick: its reconcile, fed by the task layer.

The reconcile functions in cluster/components know nothing of the ORM; these
adapters give them the API server (as that component), the sandbox clock and
their memory, and keep what they report (the scheduler's decisions, kept as
records and shown to the sandbox's viewers as they are made).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from functools import partial

from django.db import transaction
from django.db.models import JSONField, Value

from cluster.apiserver import ApiServer
from cluster.apiserver.publish import publish_note
from cluster.components.controllers import CONTROLLERS, Controller
from cluster.components.kube_proxy import kube_proxy_tick
from cluster.components.kube_proxy.proxier import SYNC_PERIOD_SECONDS
from cluster.components.kubelet import kubelet_tick
from cluster.components.scheduler import SchedulingDecision, scheduler_tick
from cluster.components.scheduler.framework import NodeDecision
from cluster.loops import ComponentKind, register, watch, watch_every
from cluster.models import ComponentState, Sandbox, SchedulingRecord
from cluster.objects import format_micro_time

SCHEDULER_POLL_SECONDS = 5  # "about every five seconds", as the lesson tells it
KUBELET_RESYNC_SECONDS = 10  # node status and lease renewal


def run_scheduler(api: ApiServer, sandbox: Sandbox, row: ComponentState) -> None:
    def show(decision: SchedulingDecision) -> None:
        # On commit, like the pushes of the calls before and after it, so the note
        # leaves between them (at once outside a transaction).
        transaction.on_commit(partial(publish_note, sandbox, scheduling_note(decision)))

    decisions = scheduler_tick(api, sandbox, row.state, rng=random.Random(), on_decision=show)
    # In batches: a record lists every node that failed, so a pod pending on a big cluster
    # writes a large one.
    SchedulingRecord.objects.bulk_create(
        scheduling_records(sandbox, decisions, sandbox.now()), batch_size=20
    )
    # When each waiting pod is next tried if nothing happens: its backoff, or for a pod in
    # the unschedulable pool, its 5-minute flush.
    retries = [
        entry["retryAfter"]
        for entry in row.state.get("backoff", {}).values()
        if entry.get("retryAfter")
    ]
    if row.state.get("more"):  # pods left for the next tick: it is due now
        retries.append(format_micro_time(sandbox.now()))
    row.state["wake_at"] = min(retries) if retries else None


def scheduling_records(
    sandbox: Sandbox, decisions: Sequence[SchedulingDecision], now: dt.datetime
) -> list[SchedulingRecord]:
    """The rows that keep what the page shows as "why here" and "why pending"."""
    return [
        SchedulingRecord(
            sandbox=sandbox,
            namespace=decision.pod_namespace,
            pod=decision.pod_name,
            pod_uid=decision.pod_uid,
            node=decision.node_name or "",
            # As an expression, so that Django inserts the batch as rows of VALUES: a
            # plain dict makes it send each column as one array (UNNEST), and psycopg
            # quotes a jsonb[] array in Python, character by character (about 3 ms for a
            # record of 10 kB, more than the scheduling decision itself).
            decision=Value(decision.as_dict(), output_field=JSONField()),
            sandbox_time=now,
        )
        for decision in decisions
    ]


def scheduling_note(decision: SchedulingDecision) -> dict:
    """What the page marks on the nodes before the binding travels (or before the pod's
    PodScheduled=False status): each node the record keeps, with the first filter that
    ruled it out and why (upstream's wording), or its total score."""
    return {
        "type": "scheduling",
        "pod": {
            "namespace": decision.pod_namespace,
            "name": decision.pod_name,
            "uid": decision.pod_uid,
        },
        "node": decision.node_name,
        "message": decision.message,
        "feasible_nodes": len(decision.feasible_nodes),
        "nodes": [_node_mark(node) for node in decision.recorded_nodes()],
    }


def _node_mark(node: NodeDecision) -> dict:
    failure = node.failure
    return {
        "name": node.node_name,
        "feasible": node.feasible,
        "plugin": failure.plugin if failure else "",
        "reason": failure.reason if failure else "",
        "score": node.total_score,
    }


def run_kubelet(api: ApiServer, sandbox: Sandbox, row: ComponentState) -> None:
    kubelet_tick(api, sandbox, row.name.partition("/")[2], row.state)


register(
    ComponentKind(
        "scheduler",
        run_scheduler,
        poll_seconds=SCHEDULER_POLL_SECONDS,
        watch_seconds=None,
        startup_path=True,
    )
)
register(
    ComponentKind(
        "kubelet",
        run_kubelet,
        poll_seconds=KUBELET_RESYNC_SECONDS,
        watch_seconds=KUBELET_RESYNC_SECONDS,
        startup_path=True,
    )
)


def run_kube_proxy(api: ApiServer, sandbox: Sandbox, row: ComponentState) -> None:
    kube_proxy_tick(api, sandbox, row.name.partition("/")[2], row.state)


# Upstream's syncPeriod in both modes; in watch mode a change wakes every node's kube-proxy.
register(
    ComponentKind(
        "kube-proxy",
        run_kube_proxy,
        poll_seconds=SYNC_PERIOD_SECONDS,
        watch_seconds=SYNC_PERIOD_SECONDS,
    )
)
watch_every("kube-proxy/", ("services", "endpointslices"))


def controller_runner(controller: Controller):
    def run_controller(api: ApiServer, sandbox: Sandbox, row: ComponentState) -> None:
        controller.reconcile(api, sandbox, row.state)

    return run_controller


for _controller in CONTROLLERS.values():
    _component = f"controller-manager/{_controller.name}"
    register(
        ComponentKind(
            _component,
            controller_runner(_controller),
            poll_seconds=_controller.poll_seconds,
            watch_seconds=_controller.resync_seconds,
            wake_delay=_controller.wake_delay,
        )
    )
    watch(_component, _controller.watches, _controller.wakes_on)
