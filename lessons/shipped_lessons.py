"""The lessons Podlab ships (lessons/shipped/*.yaml), kept in the database as versions
like any other, so that a class runs the version it started with."""

from __future__ import annotations

from pathlib import Path

from lessons.models import Lesson

SHIPPED_DIRECTORY = Path(__file__).parent / "shipped"
_stored: dict[str, int] = {}  # file name -> the Lesson row stored for its text


def shipped_files() -> list[Path]:
    return sorted(SHIPPED_DIRECTORY.glob("*.yaml"))


def shipped_lessons() -> list[Lesson]:
    """The latest version of each shipped lesson, stored first if its file changed."""
    from lessons.runner import lesson_store

    lessons = []
    for path in shipped_files():
        text = path.read_text(encoding="utf-8")
        stored = _stored.get(path.name)
        lesson = Lesson.objects.filter(pk=stored, text=text).first() if stored else None
        if lesson is None:
            lesson = lesson_store(text)
            _stored[path.name] = lesson.pk
        lessons.append(lesson)
    return lessons
