"""Traces: one row per API server call, the raw material of the diagram."""

from django.db import models
from django.utils import timezone

from cluster.models.tenancy import Sandbox


class Trace(models.Model):
    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="traces")
    revision = models.BigIntegerField(help_text="Revision written, or current at a read.")
    actor = models.CharField(max_length=150, help_text="A user name, or a component.")
    user_agent = models.CharField(
        max_length=100,
        blank=True,
        help_text="The client a user called through, as upstream's audit log records it.",
    )
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
    command = models.TextField(
        blank=True,
        help_text="The kubectl command the user's click or YAML stands for; empty if none.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    sandbox_time = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["sandbox", "id"])]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.narration

    def as_message(self) -> dict:
        return trace_message(
            self.pk,
            {field: getattr(self, field) for field in TRACE_FIELDS},
        )


# The columns a trace is written with, in order (cluster.apiserver.tracing writes them).
TRACE_FIELDS = (
    "revision",
    "actor",
    "user_agent",
    "verb",
    "resource",
    "subresource",
    "namespace",
    "name",
    "code",
    "reason",
    "duration_ms",
    "narration",
    "stages",
    "command",
    "created_at",
    "sandbox_time",
)


def trace_message(trace_id: int, fields: dict) -> dict:
    """A trace as the live page and the timeline receive it."""
    return {
        "id": trace_id,
        "revision": fields["revision"],
        "actor": fields["actor"],
        "user_agent": fields["user_agent"],
        "verb": fields["verb"],
        "resource": fields["resource"],
        "subresource": fields["subresource"],
        "namespace": fields["namespace"],
        "name": fields["name"],
        "code": fields["code"],
        "reason": fields["reason"],
        "duration_ms": round(fields["duration_ms"], 3),
        "narration": fields["narration"],
        "stages": fields["stages"],
        "command": fields["command"],
        "sandbox_time": fields["sandbox_time"].isoformat(),
    }
