"""Which lessons a user may run a class with, and who may write them."""

from __future__ import annotations

from lessons.models import Lesson
from lessons.shipped_lessons import shipped_lessons


def may_run_classes(user) -> bool:
    """Instructors: the run_classes permission (the Instructors group), or an admin."""
    return user.is_superuser or user.has_perm("lessons.run_classes")


def own_lessons(user) -> list[Lesson]:
    """The latest version of each lesson this user wrote."""
    latest: dict[str, Lesson] = {}
    for lesson in Lesson.objects.filter(author=user).order_by("slug", "-version"):
        latest.setdefault(lesson.slug, lesson)
    return list(latest.values())


def class_lessons(user) -> list[Lesson]:
    """The lessons a class can run: Podlab's, and the latest version of each the
    instructor wrote."""
    return [*shipped_lessons(), *own_lessons(user)]
