"""Lessons run on the real stack (Celery worker and beat, Redis, the database): every
shipped lesson passes `lesson run`, a lesson that cannot pass says why, and a run goes
on where it was after its worker is killed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cluster.models import ComponentState, Sandbox
from lessons import engine, runner, tasks
from lessons.models import Lesson, LessonRun
from tests.processes import TEST_NAMESPACE, kill, start_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

SHIPPED = sorted((Path(__file__).parents[2] / "lessons" / "shipped").glob("*.yaml"))


def lesson_run(*args: str) -> str:
    out = io.StringIO()
    call_command("lesson", "run", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_lesson_runs_headless_to_its_end(stack, path):
    out = lesson_run(str(path), "--timeout", "240", "--speed", "5")
    steps = len(runner.validate(path.read_text())["steps"])
    assert f"passed: {steps} steps in" in out
    assert f"step {steps}/{steps}" in out
    assert Sandbox.objects.count() == 0  # the run's sandbox is gone with it


UNSCHEDULABLE = """\
apiVersion: podlab.dev/v1
kind: Lesson
metadata:
  name: too-big
  title: A pod too big for any node
  summary: It waits, and the wait runs out.
steps:
  - act:
      apply:
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
            - name: web
              image: nginx
              resources: {requests: {cpu: "100"}}
  - wait_for:
      condition:
        object: {resource: pods, name: web, phase: Running}
      timeout: 20
"""


def test_a_lesson_that_cannot_pass_fails_with_what_it_saw(stack, tmp_path):
    lesson = tmp_path / "too-big.yaml"
    lesson.write_text(UNSCHEDULABLE)
    with pytest.raises(CommandError) as failed:
        lesson_run(str(lesson), "--keep")
    assert str(failed.value) == "failed: step 2: timed out after 20 s: web is Pending, not Running"
    run = LessonRun.objects.get()
    assert (run.state, run.step) == (engine.FAILED, 1)


def stalled(run: LessonRun) -> str:
    """Where a run stands and how its sandbox's components fare, for a failure message."""
    sandbox = Sandbox.objects.get(pk=run.sandbox_id)
    rows = ComponentState.objects.filter(sandbox=sandbox).order_by("name")
    components = "; ".join(
        f"{row.name} running={row.running} last={row.last_tick_at} failure={row.failure!r}"
        for row in rows
    )
    return (
        f"{run.progress}\nsandbox idle={sandbox.idle} paused={sandbox.clock_paused}"
        f" now={sandbox.now()}\n{components}"
    )


def test_a_run_goes_on_where_it_was_after_its_worker_is_killed(celery_beat, alice, tmp_path):
    """The worker dies with the run half done; beat finds the run nothing advances, and a
    new worker takes it from the step it was at."""
    lesson = runner.lesson_store(SHIPPED[0].read_text())
    first = start_worker(tmp_path / "worker-1.log", f"{TEST_NAMESPACE}-1@%h")
    try:
        run = runner.run_start(lesson, alice, headless=True, speed=10)
        tasks.remember_run(run)
        tasks.wake(run.pk)
        steps = len(runner.lesson_data(lesson.pk, lesson.text)["steps"])

        def halfway() -> int:
            run.refresh_from_db()
            return run.step if run.step >= steps // 2 else 0

        reached = wait_for(halfway, timeout=120, message=lambda: str(run.progress))
    finally:
        kill(first)
    second = start_worker(tmp_path / "worker-2.log", f"{TEST_NAMESPACE}-2@%h")
    try:

        def done() -> bool:
            run.refresh_from_db()
            return run.state in (engine.DONE, engine.FAILED)

        wait_for(done, timeout=180, message=lambda: stalled(run))
    finally:
        kill(second)
    assert run.state == engine.DONE, run.progress["seen"]
    assert reached < steps
    assert Lesson.objects.count() == 1
