"""Who owns what: sandboxes, classrooms and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class Classroom(models.Model):
    name = models.CharField(max_length=100)
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="classrooms_taught"
    )
    students = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="classrooms", blank=True
    )

    def __str__(self) -> str:
        return self.name


class Sandbox(models.Model):
    """One simulated cluster: its own keyspace, clock and components."""

    class Mode(models.TextChoices):
        WATCH = "watch", "watch (as real Kubernetes does it)"
        POLL = "poll", "poll (as the lesson tells it)"

    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandboxes"
    )
    classroom = models.ForeignKey(
        Classroom, on_delete=models.SET_NULL, null=True, blank=True, related_name="sandboxes"
    )
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.WATCH)
    shape = models.CharField(max_length=20, default="lesson", help_text="its cluster template")
    # The nodes it was made with, when not its shape's (a lesson's cluster): NodeShape.as_json
    # of each, which a reset brings back.
    nodes = models.JSONField(default=list, blank=True)
    # Poll mode's periods, in sandbox seconds, where a lesson's cluster sets them: by
    # component ("scheduler"), kind ("kubelet", "controller-manager") or controller
    # ("controller-manager/replicaset"); the rest keep upstream's (cluster/loops.py).
    intervals = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    # The sandbox clock: sandbox time = clock_base + (wall - clock_wall_base) * clock_speed,
    # frozen at clock_base while paused. Components read time only from here.
    clock_base = models.DateTimeField(default=timezone.now)
    clock_wall_base = models.DateTimeField(default=timezone.now)
    clock_speed = models.FloatField(default=1.0)
    clock_paused = models.BooleanField(default=False)
    # Idle: nobody has the sandbox open and no work is due (cluster/idle.py), so its clock
    # stands still as if paused, and beat runs none of its periodic ticks. Kept apart from
    # clock_paused, which is the student's: opening the page or an API write wakes an idle
    # sandbox, never a paused one. Its time resumes where it stood, so no Lease looks old.
    idle = models.BooleanField(
        default=False, help_text="nobody has it open and no work is due: its clock stands still"
    )

    class Meta:
        verbose_name_plural = "sandboxes"

    def __str__(self) -> str:
        return f"{self.name} ({self.owner})"

    def now(self) -> dt.datetime:
        if self.clock_paused or self.idle:
            return self.clock_base
        elapsed = timezone.now() - self.clock_wall_base
        return self.clock_base + elapsed * self.clock_speed


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for kubectl or the Python client; it acts as its user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, default="kubectl")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @classmethod
    def issue(cls, *, user, name: str = "kubectl") -> tuple[ApiToken, str]:
        """Create a token; the plain text is returned once and never stored."""
        plain = "podlab-" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, token_hash=hash_token(plain)), plain
