"""What components keep between ticks: their memory, not cluster state.

The scheduler's backoff queue, a kubelet's view of its pods and the container
runtime's containers live in a process's memory or on a node's disk in a real
cluster, never in etcd. Here they are rows the task layer loads before a tick
and saves after it; components themselves never see the ORM.
"""

import datetime as dt

from django.db import models
from django.utils import timezone

from cluster.models.tenancy import Sandbox
from cluster.objects import format_micro_time


class ComponentState(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(max_length=100, help_text="scheduler, kubelet/node-1, runtime/node-1")
    state = models.JSONField(default=dict, blank=True)
    running = models.BooleanField(default=True, help_text="False: stopped by a fault")
    last_tick_at = models.DateTimeField(null=True, blank=True, help_text="sandbox time")
    failure = models.CharField(
        max_length=300, blank=True, help_text="the last tick's error, one line; empty: healthy"
    )
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="sandbox time of the first tick that failed in a row"
    )
    failed_ticks = models.PositiveIntegerField(default=0, help_text="ticks failed in a row")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sandbox", "name"], name="component_unique_per_sandbox")
        ]
        ordering = ["sandbox", "name"]

    def __str__(self) -> str:
        return f"{self.name} in {self.sandbox}"

    @property
    def failing(self) -> bool:
        return self.failed_ticks > 0

    def record_tick(self, error: Exception | None, now: dt.datetime) -> bool:
        """Note how a tick went (error: what it raised); True if what the page shows changed.

        Not saved here: the tick saves its memory and its health together."""
        if error is None:
            changed = self.failing
            self.failure, self.failing_since, self.failed_ticks = "", None, 0
            return changed
        summary = failure_summary(error)
        changed = not self.failing or summary != self.failure
        if not self.failing:
            self.failing_since = now
        self.failure = summary
        self.failed_ticks += 1
        return changed

    def as_message(self) -> dict:
        """How the component fares, as the page's snapshot and its "component" notes say."""
        return {
            "type": "component",
            "name": self.name,
            "running": self.running,
            "failure": self.failure,
            "failingSince": format_micro_time(self.failing_since) if self.failing_since else None,
        }


def failure_summary(error: Exception) -> str:
    """An error's one-line summary, as the page and the admin show it."""
    lines = str(error).strip().splitlines()
    summary = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return summary[: ComponentState._meta.get_field("failure").max_length]


class SchedulingRecord(models.Model):
    """One scheduling decision (SchedulingDecision.as_dict()): why each node failed, and the
    scores of the best feasible ones, every plugin's answer for each; on a small cluster,
    every node."""

    sandbox = models.ForeignKey(
        Sandbox, on_delete=models.CASCADE, related_name="scheduling_records"
    )
    namespace = models.CharField(max_length=63)
    pod = models.CharField(max_length=253)
    pod_uid = models.CharField(max_length=36)
    node = models.CharField(max_length=253, blank=True, help_text="empty: unschedulable")
    decision = models.JSONField()
    sandbox_time = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["sandbox", "namespace", "pod"])]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.pod} -> {self.node or 'unschedulable'}"
