"""Which pods wait for the scheduler, in which order, and when a failed one may be retried.

Upstream keeps an in-memory scheduling queue. Podlab's scheduler is a function
called once per tick, so the little it must remember between ticks (how often
each pod failed, and until when it backs off) lives in a JSON-serialisable
dict the caller stores and passes back: SchedulerState wraps that dict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable

from cluster.objects import format_micro_time, parse_time

DEFAULT_SCHEDULER_NAME = "default-scheduler"
TERMINAL_PHASES = ("Succeeded", "Failed")

# Upstream podInitialBackoffSeconds and podMaxBackoffSeconds.
INITIAL_BACKOFF = dt.timedelta(seconds=1)
MAX_BACKOFF = dt.timedelta(seconds=10)


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


def node_fingerprint(nodes: Iterable[dict]) -> str:
    """A digest of what the scheduler reads from nodes.

    Not the resourceVersions: kubelets rewrite their Node's status every few
    seconds just to say they are alive, which cannot make a pod fit.
    """
    relevant = sorted(
        (
            (node.get("metadata") or {}).get("name", ""),
            (node.get("metadata") or {}).get("labels") or {},
            (node.get("spec") or {}).get("taints") or [],
            bool((node.get("spec") or {}).get("unschedulable")),
            (node.get("status") or {}).get("allocatable") or {},
            (node.get("status") or {}).get("images") or [],
        )
        for node in nodes
    )
    digest = hashlib.sha256(json.dumps(relevant, sort_keys=True).encode())
    return digest.hexdigest()[:16]


class SchedulerState:
    """The scheduler's memory between ticks, kept in the caller's JSON dict.

    {"backoff": {<pod uid>: {"attempts": 2, "retryAfter": "<RFC 3339>"}},
     "nodeFingerprint": "<digest>", "nextStartNodeIndex": 420}
    """

    def __init__(self, data: dict) -> None:
        self.data = data
        self._backoff: dict[str, dict] = data.setdefault("backoff", {})
        data.setdefault("nodeFingerprint", "")

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
        retry_after = self.retry_after(uid)
        return retry_after is not None and now < retry_after

    def record_failure(self, uid: str, now: dt.datetime) -> None:
        attempts = self.attempts(uid) + 1
        retry_after = now + backoff_duration(attempts)
        self._backoff[uid] = {"attempts": attempts, "retryAfter": format_micro_time(retry_after)}

    def forget(self, uid: str) -> None:
        self._backoff.pop(uid, None)

    def forget_all_but(self, uids: Iterable[str]) -> None:
        """Drop pods that no longer wait (bound elsewhere, deleted) so the dict stays small."""
        keep = set(uids)
        for uid in [uid for uid in self._backoff if uid not in keep]:
            del self._backoff[uid]

    def observe_nodes(self, nodes: Iterable[dict]) -> bool:
        """Note the nodes; if they changed, let every backed-off pod try again now."""
        fingerprint = node_fingerprint(nodes)
        changed = fingerprint != self.data["nodeFingerprint"]
        self.data["nodeFingerprint"] = fingerprint
        if changed:
            for entry in self._backoff.values():
                entry.pop("retryAfter", None)
        return changed
