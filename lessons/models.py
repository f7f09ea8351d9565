"""Lessons as instructors keep them (one row per version), and the runs of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from cluster.models import Sandbox


class Lesson(models.Model):
    """One version of a lesson file. An edit is a new version, so the students already in
    a lesson keep the one they started."""

    slug = models.CharField(max_length=63, help_text="its metadata.name")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=500)
    text = models.TextField(help_text="the YAML, as written")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lessons_written",
        help_text="empty for the lessons Podlab ships",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="lesson_version_unique")
        ]
        ordering = ["slug", "-version"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class LessonRun(models.Model):
    """A lesson going on in one sandbox: where it stands (lessons.engine.Progress)."""

    sandbox = models.OneToOneField(Sandbox, on_delete=models.CASCADE, related_name="lesson_run")
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="runs")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_runs"
    )
    # `lesson run`: nobody presses anything (lessons.engine's headless).
    headless = models.BooleanField(default=False)
    progress = models.JSONField(default=dict)
    # Copied from progress for the queries that find runs still going.
    state = models.CharField(max_length=20, default="running")
    step = models.PositiveIntegerField(default=0)
    # How many times what its panel shows has changed (it moved on, or its class was
    # paused or told something): the pushes say it, and a page whose panel shows as
    # much fetches nothing (static/js/podlab/follow.js).
    moves = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.lesson.slug} in {self.sandbox}"


class ClassLesson(models.Model):
    """A class running a lesson together: its students join with the code, and each gets a
    sandbox built from the lesson's cluster. The lesson is the version the class started
    with: an edit made during the class does not change under it."""

    classroom = models.OneToOneField(
        "cluster.Classroom", on_delete=models.CASCADE, related_name="lesson_class"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="classes")
    code = models.CharField(max_length=12, unique=True, help_text="what students type to join")
    # The instructor's message to the whole class, shown on every student's page.
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        permissions = [("run_classes", "May create classes and run lessons with them")]

    def __str__(self) -> str:
        return f"{self.classroom} ({self.lesson.title})"
