"""python manage.py lesson validate FILE...: check lessons before class."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lessons.reading import LessonInvalid
from lessons.validation import validate


class Command(BaseCommand):
    help = "Check lesson files (validate)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        check = actions.add_parser("validate", help="check lesson files; exit 1 if any is wrong")
        check.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, action: str, **options) -> None:
        if action == "validate":
            self.validate(options["files"])

    def validate(self, files: list[Path]) -> None:
        wrong = 0
        for file in files:
            try:
                lesson = validate(file.read_text(encoding="utf-8"))
            except OSError as error:
                wrong += 1
                self.stderr.write(f"{file}: cannot read: {error.strerror}")
            except UnicodeDecodeError:
                wrong += 1
                self.stderr.write(f"{file}: not UTF-8 text")
            except LessonInvalid as invalid:
                wrong += 1
                for problem in invalid.problems:
                    self.stderr.write(f"{file}:{problem}")
            else:
                steps = len(lesson["steps"])
                self.stdout.write(f"{file}: valid: {lesson['metadata']['title']}, {steps} steps")
        if wrong:
            raise CommandError(f"{wrong} of {len(files)} lesson file(s) are not valid")
