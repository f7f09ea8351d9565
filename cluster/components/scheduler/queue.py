"""Which pods wait for the scheduler, in which order, and when a failed one is tried again.

Upstream keeps a scheduling queue in memory: an active queue, a backoff queue
and a pool of unschedulable pods. A pod that fits nowhere goes to the pool and
waits there for a cluster event that could make it fit (cluster_events.py), or
for the flush after 5 minutes; an event moves it to the backoff queue if its
backoff (1 s doubling to 10 s per attempt) has not run out yet, else to the
active queue. A pod whose cycle failed for another reason (an error) backs
off and is tried again. Podlab's scheduler is a function called once per
tick, so what it must remember between ticks lives in a JSON-serialisable dict
the caller stores and passes back: SchedulerState wraps that dict.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from cluster.components.scheduler.cluster_events import (
    TERMINAL_PHASES,
    could_help,
    events_between,
    pod_update_digest,
)
from cluster.objects import format_micro_time, parse_time

DEFAULT_SCHEDULER_NAME = "default-scheduler"

# Upstream podInitialBackoffSeconds and podMaxBackoffSeconds.
INITIAL_BACKOFF = dt.timedelta(seconds=1)
MAX_BACKOFF = dt.timedelta(seconds=10)
# Upstream podMaxInUnschedulablePodsDuration: flushUnschedulablePodsLeftover then moves
# a pod that no event moved.
MAX_IN_UNSCHEDULABLE_PODS = dt.timedelta(minutes=5)

__all__ = [
    "DEFAULT_SCHEDULER_NAME",
    "TERMINAL_PHASES",
    "SchedulerState",
    "backoff_duration",
    "pending_pods",
]


def pending_pods(pods: Iterable[dict]) -> list[dict]:
    """Pods this scheduler must place, in upstream PrioritySort order.

    Higher spec.priority first, then the older pod, then by name so that the
    order is the same on every tick.
    """
    waiting = [pod for pod in pods if _waits_for_this_scheduler(pod)]
    return sorted(waiting, key=_queue_order)


def _waits_for_this_scheduler(pod: dict) -> bool:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    return (
        not spec.get("nodeName")
        and (spec.get("schedulerName") or DEFAULT_SCHEDULER_NAME) == DEFAULT_SCHEDULER_NAME
        and not meta.get("deletionTimestamp")
        and (pod.get("status") or {}).get("phase") not in TERMINAL_PHASES
    )


def _queue_order(pod: dict) -> tuple:
    meta = pod.get("metadata") or {}
    created = meta.get("creationTimestamp")
    return (
        -((pod.get("spec") or {}).get("priority") or 0),
        parse_time(created) if created else dt.datetime.min.replace(tzinfo=dt.UTC),
        meta.get("name", ""),
        meta.get("namespace", ""),
    )


def backoff_duration(attempts: int) -> dt.timedelta:
    """1 s after the first failure, doubling each time, at most 10 s.

    Doubled step by step and capped at each step, as upstream's
    calculateBackoffDuration does: a pod pending for a day fails thousands of
    times, and 2 ** attempts seconds soon overflows any timedelta.
    """
    duration = INITIAL_BACKOFF
    for _ in range(attempts - 1):
        duration *= 2
        if duration >= MAX_BACKOFF:
            return MAX_BACKOFF
    return duration


class SchedulerState:
    """The scheduler's memory between ticks, kept in the caller's JSON dict.

    {"backoff": {<pod uid>: {
        "attempts": 2,                 # scheduling attempts that failed
        "backoffUntil": "<RFC 3339>",  # the last failure + its backoff
        "retryAfter": "<RFC 3339>",    # when it is tried again if no event moves it
        "unschedulable": true,         # waiting in the unschedulable pool
        "rejectedBy": ["NodeResourcesFit"],  # upstream's UnschedulablePlugins
        "podDigest": "<digest>"}},     # the pod's labels and spec when it failed
     "seen": {...},                    # cluster_events.snapshot, while the pool has pods
     "nextStartNodeIndex": 420}

    retryAfter is what the caller reads to know when to wake the scheduler: a pod in
    the pool wakes it at its 5-minute flush.
    """

    def __init__(self, data: dict) -> None:
        self.data = data
        self._backoff: dict[str, dict] = data.setdefault("backoff", {})
        data.pop("nodeFingerprint", None)  # what an older scheduler kept instead of "seen"

    @property
    def next_start_node_index(self) -> int:
        """Where the next pod's search for nodes starts (upstream nextStartNodeIndex)."""
        return self.data.get("nextStartNodeIndex", 0)

    @next_start_node_index.setter
    def next_start_node_index(self, index: int) -> None:
        self.data["nextStartNodeIndex"] = index

    def attempts(self, uid: str) -> int:
        return self._backoff.get(uid, {}).get("attempts", 0)

    def retry_after(self, uid: str) -> dt.datetime | None:
        retry_after = self._backoff.get(uid, {}).get("retryAfter")
        return parse_time(retry_after) if retry_after else None

    def backing_off(self, uid: str, now: dt.datetime) -> bool:
        """Not to be tried now: backing off, or waiting in the unschedulable pool."""
        retry_after = self.retry_after(uid)
        return retry_after is not None and now < retry_after

    def unschedulable(self, uid: str) -> bool:
        return bool(self._backoff.get(uid, {}).get("unschedulable"))

    def record_failure(self, uid: str, now: dt.datetime) -> None:
        """A cycle that failed with an error: back off, then try again (the backoff queue)."""
        entry = self._failed(uid, now)
        entry["retryAfter"] = entry["backoffUntil"]

    def record_unschedulable(
        self, uid: str, now: dt.datetime, rejected_by: Iterable[str], pod: Mapping
    ) -> None:
        """A pod that fits nowhere: to the unschedulable pool until an event or the flush."""
        entry = self._failed(uid, now)
        entry["unschedulable"] = True
        entry["retryAfter"] = format_micro_time(now + MAX_IN_UNSCHEDULABLE_PODS)
        entry["rejectedBy"] = sorted(set(rejected_by))
        entry["podDigest"] = pod_update_digest(pod)

    def _failed(self, uid: str, now: dt.datetime) -> dict:
        attempts = self.attempts(uid) + 1
        backoff_until = format_micro_time(now + backoff_duration(attempts))
        self._backoff[uid] = entry = {"attempts": attempts, "backoffUntil": backoff_until}
        return entry

    def forget(self, uid: str) -> None:
        self._backoff.pop(uid, None)

    def forget_all_but(self, uids: Iterable[str]) -> None:
        """Drop pods that no longer wait (bound elsewhere, deleted) so the dict stays small."""
        keep = set(uids)
        for uid in [uid for uid in self._backoff if uid not in keep]:
            del self._backoff[uid]

    def observe(self, seen: dict, pods: Iterable[Mapping], now: dt.datetime) -> set[str]:
        """Compare the cluster with what the last tick saw, and move the pods out of the
        pool that an event between them, or an update of their own, could help.

        seen is cluster_events.snapshot of the nodes and bound pods just listed; pods
        are the pending ones. Returns the events found.
        """
        before = self.data.get("seen")
        events = events_between(before, seen) if before is not None else set()
        self.data["seen"] = seen
        self.move_on_events(events, now)
        for pod in pods:
            uid = (pod.get("metadata") or {}).get("uid", "")
            entry = self._backoff.get(uid)
            pooled = entry is not None and entry.get("unschedulable")
            if pooled and entry.get("podDigest") != pod_update_digest(pod):
                self._move(entry, now)
        return events

    def move_on_events(self, events: Iterable[str], now: dt.datetime) -> None:
        """Upstream MoveAllToActiveOrBackoffQueue: every pooled pod the events could help
        leaves the pool, to be tried when its backoff runs out."""
        events = set(events)
        if not events:
            return
        for entry in self._backoff.values():
            if entry.get("unschedulable") and could_help(entry.get("rejectedBy") or [], events):
                self._move(entry, now)

    def _move(self, entry: dict, now: dt.datetime) -> None:
        entry["unschedulable"] = False
        backoff_until = parse_time(entry.get("backoffUntil") or format_micro_time(now))
        entry["retryAfter"] = format_micro_time(max(backoff_until, now))

    def forget_seen_unless_pooled(self) -> None:
        """The snapshot only serves pods in the pool: without any, it is not kept."""
        if not any(entry.get("unschedulable") for entry in self._backoff.values()):
            self.data.pop("seen", None)
