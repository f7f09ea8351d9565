"""python manage.py lesson validate FILE...: check lessons before class.
python manage.py lesson run FILE: run one headless on a new sandbox, step by step."""

from __future__ import annotations

import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cluster.sandboxes import sandbox_delete
from lessons import engine, runner, tasks
from lessons.models import LessonRun
from lessons.reading import LessonInvalid
from lessons.validation import validate

# Who runs a lesson headless when no --user is named: an account of its own, whose
# sandboxes are plainly the checker's.
RUNNER_USERNAME = "lesson-runner"
POLL_SECONDS = 0.2


class Command(BaseCommand):
    help = "Check lesson files (validate), or run one headless against Podlab (run)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        check = actions.add_parser("validate", help="check lesson files; exit 1 if any is wrong")
        check.add_argument("files", nargs="+", type=Path)
        run = actions.add_parser(
            "run",
            help="run a lesson on a new sandbox, nobody pressing anything; exit 1 on a failed"
            " wait or checkpoint. Needs Podlab's workers running (make run).",
        )
        run.add_argument("file", type=Path)
        run.add_argument(
            "--speed", type=float, default=10.0, help="the sandbox clock's speed (default 10)"
        )
        run.add_argument(
            "--timeout", type=float, default=600.0, help="wall seconds for the whole run"
        )
        run.add_argument("--user", default="", help="whose sandbox (default: lesson-runner)")
        run.add_argument("--keep", action="store_true", help="keep the sandbox afterwards")

    def handle(self, *args, action: str, **options) -> None:
        if action == "validate":
            self.validate(options["files"])
        else:
            self.run(options)

    def validate(self, files: list[Path]) -> None:
        wrong = 0
        for file in files:
            try:
                lesson = validate(_read(file))
            except LessonInvalid as invalid:
                wrong += 1
                for problem in invalid.problems:
                    self.stderr.write(f"{file}:{problem}")
            except CommandError as unreadable:
                wrong += 1
                self.stderr.write(str(unreadable))
            else:
                steps = len(lesson["steps"])
                self.stdout.write(f"{file}: valid: {lesson['metadata']['title']}, {steps} steps")
        if wrong:
            raise CommandError(f"{wrong} of {len(files)} lesson file(s) are not valid")

    def run(self, options: dict) -> None:
        file: Path = options["file"]
        try:
            lesson = runner.lesson_store(_read(file))
        except LessonInvalid as invalid:
            raise CommandError(
                "\n".join(f"{file}:{problem}" for problem in invalid.problems)
            ) from None
        _workers_answer()
        student = _runner_user(options["user"])
        run = runner.run_start(lesson, student, headless=True, speed=options["speed"])
        self.stdout.write(
            f"{file}: {lesson.title} (v{lesson.version}) in sandbox {run.sandbox_id},"
            f" clock x{options['speed']:g}"
        )
        try:
            self._follow(run, options["timeout"])
        finally:
            if not options["keep"]:
                sandbox_delete(run.sandbox, student)

    def _follow(self, run: LessonRun, timeout: float) -> None:
        steps = runner.lesson_data(run.lesson_id, run.lesson.text)["steps"]
        started = time.monotonic()
        shown = 0
        tasks.remember_run(run)
        tasks.wake(run.pk)
        while True:
            run.refresh_from_db(fields=["progress", "state", "step"])
            for index in range(shown, min(run.step, len(steps))):
                step = steps[index]
                kind = engine.step_kind(step)
                label = step.get("id") or step.get("title") or ""
                took = time.monotonic() - started
                self.stdout.write(f"  {took:6.1f} s  step {index + 1}/{len(steps)} {kind} {label}")
            shown = max(shown, run.step)
            if run.state == engine.DONE:
                self.stdout.write(
                    f"passed: {len(steps)} steps in {time.monotonic() - started:.1f} s"
                )
                return
            if run.state == engine.FAILED:
                raise CommandError(f"failed: {run.progress.get('seen', '')}")
            if time.monotonic() - started > timeout:
                raise CommandError(
                    f"no end after {timeout:g} s, at step {run.step + 1}:"
                    f" {run.progress.get('seen', '')}"
                )
            time.sleep(POLL_SECONDS)


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"{file}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{file}: not UTF-8 text") from None


def _workers_answer() -> None:
    from sandbox.celery import app

    if not app.control.ping(timeout=1.0):
        raise CommandError(
            "no Celery worker answers: start Podlab first (make run), then run this again"
        )


def _runner_user(username: str):
    users = get_user_model()
    if username:
        try:
            return users.objects.get(username=username)
        except users.DoesNotExist:
            raise CommandError(f"no user {username!r}") from None
    user, created = users.objects.get_or_create(username=RUNNER_USERNAME)
    if created:
        user.set_unusable_password()
        user.save()
    return user
