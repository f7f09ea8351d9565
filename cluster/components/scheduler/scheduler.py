"""kube-scheduler in Podlab: one scheduling cycle per pod, and the resync tick that drives them.

schedule_pod is the pure decision (filter the nodes, score the feasible
ones, pick the best). scheduler_tick is one pass of the lesson's loop: ask the
API server whether anything needs scheduling, decide, then bind (the
scheduler only suggests a node; the API server writes the binding) or record
why the pod stays pending.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from cluster.components.api import Clock, ClusterApi
from cluster.components.events import EventRecorder
from cluster.components.scheduler.cluster_events import ASSIGNED_POD_ADD, snapshot
from cluster.components.scheduler.events import scheduled_message
from cluster.components.scheduler.failure_message import NO_NODES_AVAILABLE, fit_error_message
from cluster.components.scheduler.framework import (
    OUTCOME_BIND_CONFLICT,
    OUTCOME_BOUND,
    OUTCOME_ERROR,
    OUTCOME_POD_GONE,
    OUTCOME_UNSCHEDULABLE,
    ClusterListers,
    CycleState,
    FilterResult,
    NodeDecision,
    NodeInfo,
    SchedulingDecision,
)
from cluster.components.scheduler.listers import ApiListers
from cluster.components.scheduler.node_search import (
    ADAPTIVE_PERCENTAGE,
    NodeSearch,
    find_nodes_that_pass_filters,
    next_start_node_index,
)
from cluster.components.scheduler.preemption import preemption_message
from cluster.components.scheduler.profile import (
    excluded_by_pre_filter,
    pre_enqueue_rejection,
    run_pre_filters,
    run_scores,
)
from cluster.components.scheduler.queue import (
    DEFAULT_SCHEDULER_NAME,
    TERMINAL_PHASES,
    SchedulerState,
    pending_pods,
)
from cluster.objects import set_condition

UNSCHEDULABLE_REASON = "Unschedulable"

logger = logging.getLogger(__name__)


def build_node_infos(nodes: Iterable[dict], pods: Iterable[dict]) -> list[NodeInfo]:
    """One NodeInfo per node, holding the pods bound to it that have not finished."""
    infos = {node["metadata"]["name"]: NodeInfo(node) for node in nodes}
    for pod in pods:
        info = infos.get((pod.get("spec") or {}).get("nodeName") or "")
        if info is not None and (pod.get("status") or {}).get("phase") not in TERMINAL_PHASES:
            try:
                info.add_pod(pod)
            except Exception:  # one bound pod that cannot be counted must not stop scheduling
                logger.exception("cannot count pod %s on %s", pod.get("metadata"), info.name)
    return list(infos.values())


def schedule_pod(
    pod: dict,
    node_infos: Sequence[NodeInfo],
    *,
    rng: random.Random,
    start_index: int = 0,
    percentage_of_nodes_to_score: int = ADAPTIVE_PERCENTAGE,
    listers: ClusterListers | None = None,
) -> SchedulingDecision:
    """Filter the nodes, score the feasible ones, pick the best (ties: at random with rng).

    On a cluster of 100 nodes or more the filtering stops once enough feasible
    nodes are found (node_search.py), starting at start_index; the decision's
    evaluated_nodes says how far it got, for the next pod's start_index.
    listers give the Services, controllers and namespaces PodTopologySpread and
    InterPodAffinity read; without them, none exist.
    """
    meta = pod.get("metadata") or {}
    undecided = SchedulingDecision(
        pod_namespace=meta.get("namespace", ""),
        pod_name=meta.get("name", ""),
        pod_uid=meta.get("uid", ""),
        node_name=None,
        nodes=(),
        total_nodes=len(node_infos),
    )
    if not node_infos:
        return replace(undecided, message=NO_NODES_AVAILABLE)

    state = CycleState(node_infos, listers)
    candidates, narrowed_by, rejection = run_pre_filters(state, pod)
    if rejection is not None:
        nodes = tuple(NodeDecision(info.name, (rejection,)) for info in node_infos)
        message = fit_error_message(len(node_infos), (), pre_filter_message=rejection.reason)
        return replace(
            undecided,
            nodes=nodes,
            message=_with_preemption(message, state, pod, nodes, node_infos),
        )

    searched = [info for info in node_infos if candidates is None or info.name in candidates]
    search = find_nodes_that_pass_filters(
        state, pod, searched, start_index=start_index, percentage=percentage_of_nodes_to_score
    )
    nodes = _in_snapshot_order(search, node_infos, narrowed_by if candidates is not None else None)
    undecided = replace(undecided, nodes=nodes, evaluated_nodes=len(search.evaluated))
    feasible = search.feasible
    if not feasible:
        message = fit_error_message(len(node_infos), (d.failure.reasons for d in nodes))
        return replace(undecided, message=_with_preemption(message, state, pod, nodes, node_infos))
    if len(feasible) == 1:
        # Upstream skips scoring when only one node is left: there is nothing to rank.
        return replace(undecided, node_name=feasible[0].name)

    table = run_scores(state, pod, feasible, node_infos)
    index = {name: i for i, name in enumerate(table.node_names)}
    for decision in nodes:
        if decision.feasible:
            decision.set_scores(table, index[decision.node_name])
    best = max(table.totals)
    totals = zip(table.node_names, table.totals, strict=True)
    tied = tuple(sorted(name for name, total in totals if total == best))
    # Upstream picks uniformly among the best (reservoir sampling); sorting first makes
    # the pick depend only on the seed, not on the order the nodes were listed in.
    chosen = tied[0] if len(tied) == 1 else rng.choice(tied)
    return replace(undecided, nodes=nodes, node_name=chosen, tied_nodes=tied)


def _in_snapshot_order(
    search: NodeSearch, node_infos: Sequence[NodeInfo], narrowed_by: tuple[str, ...] | None
) -> tuple[NodeDecision, ...]:
    """The nodes looked at, in the snapshot's order whatever node the search started at,
    so the page's table lists them the same way for every pod.

    narrowed_by names the PreFilter plugins that ruled nodes out (None: none did); those
    nodes are listed too, with the reason upstream gives them, before any filter ran.
    """
    decided = {decision.node_name: decision for _, decision in search.evaluated}
    if narrowed_by is None:
        return tuple(decided[info.name] for info in node_infos if info.name in decided)
    excluded = FilterResult.unresolvable(" ".join(narrowed_by), excluded_by_pre_filter(narrowed_by))
    return tuple(
        decided.get(info.name) or NodeDecision(info.name, (excluded,)) for info in node_infos
    )


def _with_preemption(
    message: str,
    state: CycleState,
    pod: dict,
    nodes: Sequence[NodeDecision],
    node_infos: Sequence[NodeInfo],
) -> str:
    preemption = preemption_message(state, pod, nodes, node_infos)
    return f"{message} {preemption}" if preemption else message


def scheduler_tick(
    api: ClusterApi,
    clock: Clock,
    state: dict,
    *,
    rng: random.Random,
    max_pods: int = 100,
    on_decision: Callable[[SchedulingDecision], None] | None = None,
) -> list[SchedulingDecision]:
    """One resync of the scheduler. state is the caller's JSON dict, updated in place.

    API calls, in order: list unscheduled pods ("anything to schedule?"); if
    any, list nodes and the pods already bound; then per pod either bind and a
    Normal Scheduled event, or the PodScheduled=False condition and a Warning
    FailedScheduling event. A gated pod is not tried (SchedulingGates); a pod
    still backing off, or waiting in the unschedulable pool for an event that
    could help it (queue.py), is left for a later tick. on_decision hears each
    pod's decision after it is made and before the call that acts on it (the
    binding, or the PodScheduled=False status), so whoever shows the decision
    can show it before its consequence.
    Returns the decisions made, at most max_pods; state["more"] says pods were left
    for the next tick.
    """
    unscheduled = api.list("pods", field_selector="spec.nodeName=")["items"]
    queue = [pod for pod in pending_pods(unscheduled) if not pre_enqueue_rejection(pod)]
    memory = SchedulerState(state)
    memory.forget_all_but(pod["metadata"].get("uid", "") for pod in queue)
    if not queue:
        memory.forget_seen_unless_pooled()
        return []

    nodes = api.list("nodes")["items"]
    bound = api.list("pods", field_selector="spec.nodeName!=")["items"]
    node_infos = build_node_infos(nodes, bound)
    infos_by_name = {info.name: info for info in node_infos}
    now = clock.now()
    memory.observe(snapshot(nodes, bound), queue, now)
    events = EventRecorder(
        api, clock, component=DEFAULT_SCHEDULER_NAME, memory=state.setdefault("events", {})
    )
    listers = ApiListers(api)

    decisions: list[SchedulingDecision] = []
    newly_bound: list[dict] = []
    state["more"] = False
    for pod in queue:
        if len(decisions) >= max_pods:
            # Upstream's activeQ never stops while it holds pods: the rest are tried at
            # the next tick, due at once (state["more"]), not at the next change.
            state["more"] = True
            break
        uid = pod["metadata"].get("uid", "")
        if memory.backing_off(uid, now):
            continue
        try:
            decision = _schedule_one(
                api, pod, node_infos, memory, events, now, rng, on_decision, listers
            )
        except Exception as error:
            # One pod's failure must not stop the scheduler serving the others: as
            # upstream's handleSchedulingFailure does, the pod goes back to the queue with
            # its backoff, and a SchedulerError event says why.
            logger.exception("scheduling pod %s failed", uid)
            memory.record_failure(uid, now)
            decision = _errored(pod, error, len(node_infos))
            _file_error(events, pod, decision.message)
        if decision.outcome == OUTCOME_BOUND:
            # The next pod in this tick must see the room this one took.
            bound_pod = _bound_copy(pod, decision.node_name)
            infos_by_name[decision.node_name].add_pod(bound_pod)
            newly_bound.append(bound_pod)
            # The binding is an AssignedPodAdd event for the pods already in the pool (a
            # pod with affinity to this one, say), as upstream's informer would report it.
            memory.move_on_events({ASSIGNED_POD_ADD}, now)
        decisions.append(decision)
    if newly_bound and "seen" in state:
        memory.data["seen"] = snapshot(nodes, [*bound, *newly_bound])
    memory.forget_seen_unless_pooled()
    return decisions


def _schedule_one(
    api: ClusterApi,
    pod: dict,
    node_infos: list[NodeInfo],
    memory: SchedulerState,
    events: EventRecorder,
    now: dt.datetime,
    rng: random.Random,
    on_decision: Callable[[SchedulingDecision], None] | None,
    listers: ClusterListers,
) -> SchedulingDecision:
    """One scheduling cycle and what follows it: a binding, or why the pod stays pending."""
    uid = pod["metadata"].get("uid", "")
    decision = schedule_pod(
        pod, node_infos, rng=rng, start_index=memory.next_start_node_index, listers=listers
    )
    memory.next_start_node_index = next_start_node_index(
        memory.next_start_node_index, decision.evaluated_nodes, len(node_infos)
    )
    if on_decision is not None:
        on_decision(decision)
    if decision.node_name is None:
        memory.record_unschedulable(uid, now, rejected_by(decision), pod)
        _record_unschedulable(api, pod, decision.message, now, events)
        return replace(decision, outcome=OUTCOME_UNSCHEDULABLE)
    memory.forget(uid)
    return replace(decision, outcome=_bind(api, pod, decision.node_name, events))


def rejected_by(decision: SchedulingDecision) -> set[str]:
    """The plugins that rejected the pod on some node (upstream's UnschedulablePlugins)."""
    return {node.failure.plugin for node in decision.nodes if node.failure is not None}


def _errored(pod: dict, error: Exception, total_nodes: int) -> SchedulingDecision:
    meta = pod.get("metadata") or {}
    return SchedulingDecision(
        pod_namespace=meta.get("namespace", ""),
        pod_name=meta.get("name", ""),
        pod_uid=meta.get("uid", ""),
        node_name=None,
        nodes=(),
        total_nodes=total_nodes,
        message=f"running the scheduling cycle failed: {type(error).__name__}: {error}",
        outcome=OUTCOME_ERROR,
    )


def _file_error(events: EventRecorder, pod: dict, message: str) -> None:
    try:
        events.warning(pod, "FailedScheduling", message)
    except Exception:  # the event is a courtesy; the pod's backoff is what matters
        logger.exception("could not file the FailedScheduling event")


def _bind(api: ClusterApi, pod: dict, node_name: str, events: EventRecorder) -> str:
    meta = pod["metadata"]
    try:
        api.bind(meta["name"], node_name, namespace=meta.get("namespace", ""))
    except Exception as error:
        if _status_code(error) == 409:
            return OUTCOME_BIND_CONFLICT  # already bound, or being deleted: nothing to do
        if _status_code(error) == 404:
            return OUTCOME_POD_GONE
        raise
    events.normal(pod, "Scheduled", scheduled_message(pod, node_name))
    return OUTCOME_BOUND


def _record_unschedulable(
    api: ClusterApi, pod: dict, message: str, now: dt.datetime, events: EventRecorder
) -> None:
    meta = pod["metadata"]
    if not _already_says(pod, message):
        updated = copy.deepcopy(pod)
        set_condition(
            updated, "PodScheduled", "False", now=now, reason=UNSCHEDULABLE_REASON, message=message
        )
        try:
            api.update_status("pods", updated, namespace=meta.get("namespace", ""))
        except Exception as error:
            # 409: the pod changed since we listed it; 404: it is gone. The next tick sees why.
            if _status_code(error) not in (404, 409):
                raise
    events.warning(pod, "FailedScheduling", message)


def _already_says(pod: dict, message: str) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(
        c.get("type") == "PodScheduled"
        and c.get("status") == "False"
        and c.get("reason") == UNSCHEDULABLE_REASON
        and c.get("message") == message
        for c in conditions
    )


def _bound_copy(pod: dict, node_name: str) -> dict:
    bound = copy.deepcopy(pod)
    bound["spec"]["nodeName"] = node_name
    return bound


def _status_code(error: Exception) -> int | None:
    """The HTTP code of an API error, read by duck-typing: components do not import the server."""
    return getattr(error, "code", None)
