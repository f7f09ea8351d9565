"""The kube-scheduler simulation, as pure functions over the API server.

scheduler_tick(api, clock, state, rng=...) is one resync: it lists the pods
waiting for a node, decides with schedule_pod, and binds them or records why
they stay pending. Each SchedulingDecision keeps every plugin's answer for
every node it evaluated (on 100 nodes or more, kube-scheduler's
percentageOfNodesToScore may stop the search early: node_search.py); its
as_dict() is the record the web page shows as "why this node" or "why
pending". No Django ORM, Celery or Channels here: the caller passes the
API handle, the sandbox clock and the state dict it keeps between ticks.
"""

from cluster.components.scheduler.framework import SchedulingDecision
from cluster.components.scheduler.scheduler import schedule_pod, scheduler_tick

__all__ = ["SchedulingDecision", "schedule_pod", "scheduler_tick"]
