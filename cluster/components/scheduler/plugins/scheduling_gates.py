"""SchedulingGates (PreEnqueue): a pod with spec.schedulingGates is not scheduled yet.

Upstream's queue never lets such a pod into the active queue, so no cycle runs
and no FailedScheduling event is filed; the API server gave the pod its
PodScheduled=False condition (reason SchedulingGated) when it was created.
Once whoever owns the gates removes the last one, the pod is queued as new.
"""

from __future__ import annotations

# What upstream's API server writes on a gated pod (pkg/registry/core/pod/strategy.go).
SCHEDULING_GATED_REASON = "SchedulingGated"
SCHEDULING_GATED_MESSAGE = "Scheduling is blocked due to non-empty scheduling gates"


class SchedulingGates:
    name = "SchedulingGates"

    def pre_enqueue(self, pod: dict) -> str:
        """'' if the pod may be queued, else why not (upstream's status message)."""
        gates = (pod.get("spec") or {}).get("schedulingGates") or []
        if not gates:
            return ""
        # Go prints a []string as [a b].
        return f"waiting for scheduling gates: [{' '.join(g.get('name', '') for g in gates)}]"
