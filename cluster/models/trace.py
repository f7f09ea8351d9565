"""Traces: one row per API server call, the raw material of the diagram."""

from django.db import models
from django.utils import timezone

from cluster.models.tenancy import Sandbox


class Trace(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="traces")
    revision = models.BigIntegerField(help_text="Revision written, or current at a read.")
    actor = models.CharField(max_length=150, help_text="A user name, or a component.")
    verb = models.CharField(max_length=20)
    resource = models.CharField(max_length=63)
    subresource = models.CharField(max_length=63, blank=True)
    namespace = models.CharField(max_length=63, blank=True)
    name = models.CharField(max_length=253, blank=True)
    code = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=63, blank=True)
    duration_ms = models.FloatField()
    narration = models.TextField()
    stages = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    sandbox_time = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["sandbox", "id"])]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.narration

    def as_message(self) -> dict:
        return {
            "id": self.pk,
            "revision": self.revision,
            "actor": self.actor,
            "verb": self.verb,
            "resource": self.resource,
            "subresource": self.subresource,
            "namespace": self.namespace,
            "name": self.name,
            "code": self.code,
            "reason": self.reason,
            "duration_ms": round(self.duration_ms, 3),
            "narration": self.narration,
            "stages": self.stages,
            "sandbox_time": self.sandbox_time.isoformat(),
        }
