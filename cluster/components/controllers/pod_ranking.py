"""Which pods a ReplicaSet deletes first when it scales down.

Upstream's getPodsToDelete (pkg/controller/replicaset) sorts the candidates with
controller.ActivePodsWithRanks (pkg/controller/controller_utils.go), applying each rule in
turn until one tells the two pods apart; the pod that sorts first is deleted first:

1. not yet scheduled before scheduled;
2. Pending before Unknown before Running;
3. not ready before ready;
4. lower controller.kubernetes.io/pod-deletion-cost before higher (PodDeletionCost, beta
   and on in 1.32);
5. higher rank (more related pods on the same node) before lower;
6. both ready: ready more recently before ready longer;
7. more container restarts before fewer;
8. created more recently before older.

Rules 6 and 8 compare times on a logarithmic scale (LogarithmicScaleDown, GA in 1.31), so
that pods of about the same age are told apart by UID, a pseudo-random order.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cluster.components.controllers.pod_state import is_pod_active, is_pod_ready, ready_since
from cluster.objects import parse_time

POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
# Upstream's podPhaseToOrdinal; a phase not in it (none yet) ranks with Pending.
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}
_INT32 = range(-(2**31), 2**31)
_DIGITS = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class RankedPod:
    pod: Mapping
    rank: int


def pods_to_delete(
    candidates: Sequence[Mapping], related: Sequence[Mapping], count: int, now: dt.datetime
) -> list[Mapping]:
    """The `count` pods to delete (upstream's getPodsToDelete): all of them unsorted when
    they all go, else the first after ranking each by its related pods on the same node."""
    if count >= len(candidates):
        return list(candidates[:count])
    ranked = ranked_by_related_pods_on_same_node(candidates, related)
    ranked.sort(key=functools.cmp_to_key(functools.partial(_compare, now=now)))
    return [entry.pod for entry in ranked[:count]]


def ranked_by_related_pods_on_same_node(
    candidates: Sequence[Mapping], related: Sequence[Mapping]
) -> list[RankedPod]:
    """Each candidate ranked by how many active related pods share its node (upstream's
    getPodsRankedByRelatedPodsOnSameNode): doubled-up pods go first, spreading what stays."""
    on_node = Counter(_node_name(pod) for pod in related if is_pod_active(pod))
    return [RankedPod(pod, on_node[_node_name(pod)]) for pod in candidates]


def deletes_before(first: RankedPod, second: RankedPod, now: dt.datetime | None) -> bool:
    """Whether `first` should be deleted before `second` (upstream's
    ActivePodsWithRanks.Less). `now` None compares times without the logarithmic scale."""
    a, b = first.pod, second.pod
    node_a, node_b = _node_name(a), _node_name(b)
    if node_a != node_b and (not node_a or not node_b):
        return not node_a
    phase_a, phase_b = _phase_ordinal(a), _phase_ordinal(b)
    if phase_a != phase_b:
        return phase_a < phase_b
    ready_a, ready_b = is_pod_ready(a), is_pod_ready(b)
    if ready_a != ready_b:
        return not ready_a
    cost_a, cost_b = deletion_cost(a), deletion_cost(b)
    if cost_a != cost_b:
        return cost_a < cost_b
    if first.rank != second.rank:
        return first.rank > second.rank
    if ready_a and ready_b:
        since_a, since_b = ready_since(a), ready_since(b)
        if since_a != since_b:
            return _more_recent(a, since_a, b, since_b, now)
    restarts_a, restarts_b = max_container_restarts(a), max_container_restarts(b)
    if restarts_a != restarts_b:
        return restarts_a > restarts_b
    created_a, created_b = _created(a), _created(b)
    if created_a != created_b:
        return _more_recent(a, created_a, b, created_b, now)
    return False


def deletion_cost(pod: Mapping) -> int:
    """The pod-deletion-cost annotation, 0 when absent or invalid (upstream's
    GetDeletionCostFromPodAnnotations: no "+", no leading zeros, an int32)."""
    value = (pod["metadata"].get("annotations") or {}).get(POD_DELETION_COST)
    if not value or not (value[0] == "-" or value == "0" or value[0] in "123456789"):
        return 0
    if not _DIGITS.fullmatch(value) or int(value) not in _INT32:
        return 0
    return int(value)


def max_container_restarts(pod: Mapping) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return max((int(status.get("restartCount") or 0) for status in statuses), default=0)


def _compare(first: RankedPod, second: RankedPod, *, now: dt.datetime) -> int:
    if deletes_before(first, second, now):
        return -1
    if deletes_before(second, first, now):
        return 1
    return 0


def _more_recent(
    a: Mapping,
    time_a: dt.datetime | None,
    b: Mapping,
    time_b: dt.datetime | None,
    now: dt.datetime | None,
) -> bool:
    """Whether `a`'s time is the more recent, a missing time counting as the most recent
    (upstream's afterOrZero), on the logarithmic scale when both times are known."""
    if time_a is None or time_b is None:
        return time_a is None
    if now is None:
        return time_a > time_b
    difference = _log_rank(time_a, now) - _log_rank(time_b, now)
    if difference == 0:
        return a["metadata"].get("uid", "") < b["metadata"].get("uid", "")
    return difference < 0


def _log_rank(moment: dt.datetime, now: dt.datetime) -> int:
    """floor(log2(age in nanoseconds)), -1 when not in the past (upstream's
    logarithmicRankDiff works on a Go Duration, in nanoseconds)."""
    age = now - moment
    nanoseconds = (age.days * 86_400 + age.seconds) * 1_000_000_000 + age.microseconds * 1_000
    return int(math.log2(nanoseconds)) if nanoseconds > 0 else -1


def _node_name(pod: Mapping) -> str:
    return (pod.get("spec") or {}).get("nodeName") or ""


def _phase_ordinal(pod: Mapping) -> int:
    return _PHASE_ORDINAL.get((pod.get("status") or {}).get("phase") or "", 0)


def _created(pod: Mapping) -> dt.datetime | None:
    created = pod["metadata"].get("creationTimestamp")
    return parse_time(created) if created else None
