"""Lessons in the admin: validated on save, each change a new version."""

from __future__ import annotations

from pathlib import Path

import pytest

from lessons.models import Lesson

pytestmark = pytest.mark.django_db

LESSON_ONE = (
    Path(__file__).parents[2] / "lessons" / "shipped" / "01-how-kubernetes-creates-a-pod.yaml"
).read_text()


def test_an_admin_adds_a_lesson_and_an_edit_is_a_new_version(admin_client):
    answer = admin_client.post("/admin/lessons/lesson/add/", {"text": LESSON_ONE})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    first = Lesson.objects.get()
    assert (first.slug, first.version, first.title) == (
        "how-kubernetes-creates-a-pod",
        1,
        "How Kubernetes creates a pod",
    )
    edited = LESSON_ONE.replace("minutes: 20", "minutes: 25")
    answer = admin_client.post(f"/admin/lessons/lesson/{first.pk}/change/", {"text": edited})
    assert answer.status_code == 302
    assert list(Lesson.objects.order_by("version").values_list("version", "text")) == [
        (1, LESSON_ONE),
        (2, edited),
    ]


def test_a_broken_lesson_is_refused_with_its_lines(admin_client):
    broken = LESSON_ONE.replace("kind: Lesson", "kind: Lessons", 1)
    answer = admin_client.post("/admin/lessons/lesson/add/", {"text": broken})
    assert answer.status_code == 200
    assert (
        "line 3: kind: must be &quot;Lesson&quot;, not &quot;Lessons&quot;"
        in answer.content.decode()
    )
    assert not Lesson.objects.exists()
