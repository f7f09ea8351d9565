"""Lesson files: the shipped ones are valid, and broken ones get each problem at its line.

Each file in broken/ says at its top what must be found in it, one `# expect:` line per
problem, in the order of the file; an expectation ending in "..." matches a problem
that starts with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lessons.reading import LessonInvalid
from lessons.validation import SCHEMA, VALIDATOR, validate

SHIPPED = sorted((Path(__file__).parents[2] / "lessons" / "shipped").glob("*.yaml"))
BROKEN = sorted((Path(__file__).parent / "broken").glob("*.yaml"))


def expected_problems(text: str) -> list[str]:
    return [
        line.removeprefix("# expect: ")
        for line in text.splitlines()
        if line.startswith("# expect: ")
    ]


def matches(problem: str, expected: str) -> bool:
    if expected.endswith("..."):
        return problem.startswith(expected.removesuffix("..."))
    return problem == expected


def test_the_schema_is_a_valid_json_schema():
    VALIDATOR.check_schema(SCHEMA)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_lesson_is_valid(path):
    lesson = validate(path.read_text())
    assert lesson["steps"]


def test_lesson_one_tells_the_story_in_its_order():
    """The lesson's story (LESSON-STORY.md): the request, then etcd, "created", the
    scheduler's binding, Running, a restart, and the replication controller."""
    [first] = [path for path in SHIPPED if path.stem.startswith("01-")]
    ids = [step.get("id") for step in validate(first.read_text())["steps"]]
    story = [
        "the-request",
        "who-are-you",
        "write-it-down",
        "created",
        "the-scheduler-asks",
        "filter-and-score",
        "only-a-suggestion",
        "run-it",
        "when-it-dies",
        "a-pod-that-is-gone",
        "replaced",
        "summary",
    ]
    assert [step for step in ids if step in story] == story


@pytest.mark.parametrize("path", BROKEN, ids=lambda path: path.stem)
def test_a_broken_lesson_gets_each_problem_at_its_line(path):
    text = path.read_text()
    with pytest.raises(LessonInvalid) as refused:
        validate(text)
    problems = [str(problem) for problem in refused.value.problems]
    expected = expected_problems(text)
    assert expected, f"{path.name} says nothing of what is wrong in it"
    assert len(problems) == len(expected), "\n".join(problems)
    for problem, wanted in zip(problems, expected, strict=True):
        assert matches(problem, wanted), f"{problem!r} is not {wanted!r}"


def test_yaml_that_expands_to_gigabytes_is_refused_at_once():
    """A "billion laughs": nine levels of nine aliases, under a field no lesson has; the
    sixth level (line 7) is past the limit of nodes once expanded."""
    laughs = "steps:\n  - unknown: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for level in "bcdefghi":
        aliases = ", ".join([f"*{chr(ord(level) - 1)}"] * 9)
        laughs += f"  - unknown: &{level} [{aliases}]\n"
    with pytest.raises(LessonInvalid) as refused:
        validate(laughs)
    assert str(refused.value) == "line 7: yaml: document contains excessive aliasing"


def test_the_command_says_each_problem_with_its_file_and_fails(capsys):
    [broken] = [path for path in BROKEN if path.stem == "meaning"]
    with pytest.raises(CommandError, match="1 of 2 lesson file"):
        call_command("lesson", "validate", str(SHIPPED[0]), str(broken))
    out, err = capsys.readouterr()
    assert f"{SHIPPED[0]}: valid: How Kubernetes creates a pod" in out
    assert f'{broken}:line 18: steps[0].act.cordon: no node "node-9"' in err


def test_the_command_says_when_a_file_cannot_be_read(tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command("lesson", "validate", str(tmp_path / "missing.yaml"))
    assert "missing.yaml: cannot read: No such file or directory" in capsys.readouterr().err
