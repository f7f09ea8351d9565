"""What components keep between ticks: their memory, not cluster state.

The scheduler's backoff queue, a kubelet's view of its pods and the container
runtime's containers live in a process's memory or on a node's disk in a real
cluster, never in etcd. Here they are rows the task layer loads before a tick
and saves after it; components themselves never see the ORM.
"""

from django.db import models
from django.utils import timezone

from cluster.models.tenancy import Sandbox


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
