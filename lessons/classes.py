"""Classes: an instructor runs a lesson with a class, whose students join with a code.

Each student's lesson runs in a sandbox of their own, in the class's classroom, so the
instructor sees it read-only (cluster.apiserver.authz.teaches). What the instructor
does to the whole class (move everyone on, pause, start over) the lesson does in each
student's sandbox, as it does its own acts: API calls made as the student, whose
traces say who asked for them.
"""

from __future__ import annotations

import csv
import io
import secrets

from django.db import IntegrityError, transaction

from cluster.apiserver import ApiServer
from cluster.clock import clock_pause, clock_resume
from cluster.models import Classroom
from cluster.sandboxes import sandbox_reset
from lessons import engine, runner, tasks
from lessons.models import ClassLesson, Lesson, LessonRun

# Join codes: no 0/O or 1/I/L to misread off a projector.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
PRESS_WAIT_SECONDS = 5.0


class JoinRefused(Exception):
    """The code names no class (said so, without telling which codes exist)."""


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalized_code(text: str) -> str:
    """What a student typed, as codes are stored: "abc 23x" -> "ABC23X"."""
    return "".join(text.split()).upper()[: CODE_LENGTH * 2]


def class_create(*, instructor, name: str, lesson: Lesson) -> ClassLesson:
    """A new class for this lesson (its current version), with a fresh join code."""
    for _ in range(10):
        try:
            with transaction.atomic():
                classroom = Classroom.objects.create(name=name, instructor=instructor)
                return ClassLesson.objects.create(
                    classroom=classroom, lesson=lesson, code=new_code()
                )
        except IntegrityError:  # the code is taken: draw another
            continue
    raise RuntimeError("no free join code after 10 draws")


def class_join(code: str, student) -> LessonRun:
    """The student's run of the class's lesson: made on the first join (a sandbox of
    their own in the class), the same one on every later join."""
    class_lesson = (
        ClassLesson.objects.select_related("classroom", "lesson")
        .filter(code=normalized_code(code))
        .first()
    )
    if class_lesson is None:
        raise JoinRefused("No class has that code. Check it with your instructor.")
    existing = class_run_of(class_lesson, student)
    if existing is not None:
        return existing
    class_lesson.classroom.students.add(student)
    run = runner.run_start(class_lesson.lesson, student, classroom=class_lesson.classroom)
    tasks.remember_run(run)
    tasks.wake(run.pk)
    return run


def class_run_of(class_lesson: ClassLesson, student) -> LessonRun | None:
    return (
        LessonRun.objects.filter(
            student=student,
            lesson=class_lesson.lesson,
            sandbox__classroom=class_lesson.classroom,
        )
        .select_related("sandbox")
        .first()
    )


def class_runs(class_lesson: ClassLesson) -> list[LessonRun]:
    """Every run of the class, by student name: its students' runs of its lesson in its
    classroom (a student removed from the class is left out)."""
    return list(
        LessonRun.objects.filter(
            lesson=class_lesson.lesson,
            sandbox__classroom=class_lesson.classroom,
            student__in=class_lesson.classroom.students.all(),
        )
        .select_related("sandbox", "student")
        .order_by("student__username")
    )


def class_advance(class_lesson: ClassLesson) -> int:
    """Move every student on by one step (past a pause_for_instructor, a wait, a
    question); how many moved."""
    moved = 0
    for run in class_runs(class_lesson):
        if run.state not in tasks.GOING:
            continue
        try:
            done = runner.advance_run(
                run.pk, engine.Inputs(next_from_instructor=True), wait=PRESS_WAIT_SECONDS
            )
        except runner.RunBusy:
            continue
        moved += done is not None and done.step > run.step
    return moved


def class_clock(class_lesson: ClassLesson, instructor, *, paused: bool) -> None:
    """Pause or resume every student's sandbox clock."""
    who = instructor.get_username()
    for run in class_runs(class_lesson):
        sandbox = run.sandbox
        api = ApiServer.as_user(sandbox, run.student, command="")
        if paused:
            api.fault(
                "pause",
                "clock",
                apply=lambda sandbox=sandbox: clock_pause(sandbox),
                narration=f"paused the sandbox clock, as their instructor {who} paused the class",
            )
        else:
            api.fault(
                "resume",
                "clock",
                apply=lambda sandbox=sandbox: clock_resume(sandbox),
                narration=f"resumed the sandbox clock, as their instructor {who} resumed the class",
            )
        runner.tell_moved(run)  # the panel says whether the clock is paused


def class_restart(class_lesson: ClassLesson) -> None:
    """Every student starts the lesson over: their sandbox back to its template, the
    lesson's objects created again, the run at its first step."""
    for run in class_runs(class_lesson):
        sandbox_reset(run.sandbox, run.student)
        runner.run_restart(run)
        tasks.remember_run(run)
        tasks.wake(run.pk)


def class_broadcast(class_lesson: ClassLesson, message: str) -> None:
    """Show a message on every student's page (an empty one takes it away)."""
    class_lesson.message = message
    class_lesson.save(update_fields=["message"])
    for run in class_runs(class_lesson):
        runner.tell_moved(run)  # the panel shows the message


def class_results_csv(class_lesson: ClassLesson) -> str:
    """One row per student: where they stand, each answer and whether it was right, and
    each checkpoint's points."""
    lesson = runner.lesson_data(class_lesson.lesson.pk, class_lesson.lesson.text)
    steps = lesson["steps"]
    asks = [i for i, step in enumerate(steps) if engine.step_kind(step) == "ask"]
    checkpoints = [i for i, step in enumerate(steps) if engine.step_kind(step) == "checkpoint"]
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["student", "step", "of", "state"]
    for index in asks:
        key = engine.step_key(lesson, index)
        header += [f"{key}: answer", f"{key}: right"]
    header += [f"{engine.step_key(lesson, index)}: points" for index in checkpoints]
    writer.writerow(header)
    for run in class_runs(class_lesson):
        results = run.progress.get("results", {})
        row = [run.student.get_username(), min(run.step + 1, len(steps)), len(steps), run.state]
        for index in asks:
            result = results.get(engine.step_key(lesson, index)) or {}
            row += [_answer_text(steps[index]["ask"], result), _right_text(result)]
        for index in checkpoints:
            result = results.get(engine.step_key(lesson, index))
            row.append(f"{result['points']}/{result['of']}" if result else "")
        writer.writerow(row)
    return out.getvalue()


def _answer_text(ask: dict, result: dict) -> str:
    answer = result.get("answer")
    if answer is None:
        return ""
    if "choices" in ask and isinstance(answer, int) and 0 <= answer < len(ask["choices"]):
        return ask["choices"][answer]
    return str(answer)


def _right_text(result: dict) -> str:
    if not result.get("revealed") or result.get("right") is None:
        return ""
    return "yes" if result["right"] else "no"
