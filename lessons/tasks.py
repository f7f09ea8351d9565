"""Celery entry points of the lesson runner, and how a run is woken.

A run advances when something may have moved it on: a committed change in its sandbox
(the store_committed signal, as the components are woken), every POLL_SECONDS while it
waits on a condition or a call (a traced read, such as the scheduler's poll, commits
nothing), and from beat for any run left without a pending advance (its worker killed,
or every process restarted). The student's and the instructor's presses advance it in
their own request (lessons/views.py).
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from cluster.coordination import redis_client
from lessons import engine, runner
from lessons.models import LessonRun

# A waiting run looks again this often (wall seconds) for what no write tells: traced
# reads, and a wait's timeout. A wait for a call (the scheduler's ask, a read) looks more
# often: nothing else wakes it, and a look costs one query of the traces.
POLL_SECONDS = 1.0
POLL_CALLS_SECONDS = 0.25
# Beat's look for runs no advance is pending for.
RESUME_AFTER_SECONDS = 5.0
BUSY_RETRY_SECONDS = 0.2
GOING = (engine.RUNNING, engine.TIMED_OUT)
# What a run waits for that only a look tells (the others wait for a press).
LOOKS_AGAIN = {"wait_for", "do", "kubectl"}


def _key(kind: str, value: object) -> str:
    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}:lessons:{kind}:{value}"


def runs_key() -> str:
    """sandbox id -> its run's id, for the runs still going: the store_committed receiver
    must find its runs without the database (it runs in the publisher thread)."""
    return _key("runs", "by-sandbox")


def remember_run(run: LessonRun) -> None:
    if run.state in GOING:
        redis_client().hset(runs_key(), str(run.sandbox_id), run.pk)
    else:
        redis_client().hdel(runs_key(), str(run.sandbox_id))


@shared_task(ignore_result=True)
def advance(run_id: int) -> None:
    redis_client().delete(_key("queued", run_id))
    try:
        run = runner.advance_run(run_id)
    except runner.RunBusy:  # the student's press is moving it on: look again after
        advance.apply_async((run_id,), countdown=BUSY_RETRY_SECONDS)
        return
    if run is None:
        return
    remember_run(run)
    if run.state in GOING and (seconds := _looks_again_in(run)) is not None:
        look_again(run_id, seconds)


def _looks_again_in(run: LessonRun) -> float | None:
    """How soon the run's step needs another look, if only a look tells it moved on."""
    steps = runner.lesson_data(run.lesson_id, run.lesson.text)["steps"]
    if run.step >= len(steps):
        return None
    step = steps[run.step]
    kind = engine.step_kind(step)
    if kind not in LOOKS_AGAIN:
        return None
    if kind == "wait_for" and "trace" in step[kind]["condition"]:
        return POLL_CALLS_SECONDS
    return POLL_SECONDS


def wake(run_id: int) -> None:
    """Queue an advance now, unless one is queued already."""
    if redis_client().set(_key("queued", run_id), 1, nx=True, ex=5):
        advance.delay(run_id)


def look_again(run_id: int, seconds: float = POLL_SECONDS) -> None:
    """Queue an advance in `seconds`, unless one is due already."""
    if redis_client().set(_key("timer", run_id), 1, nx=True, px=int(seconds * 1000)):
        advance.apply_async((run_id,), countdown=seconds)


# Heartbeats: a kubelet's Lease renewal every 10 s per node changes nothing a lesson
# waits for.
HEARTBEAT_PREFIX = "/registry/leases/"


def on_commit_wake(sender, *, sandbox, events: list[dict] = (), **kwargs) -> None:
    """A store_committed receiver: a change in a sandbox with a lesson going wakes it."""
    if events and all(event["key"].startswith(HEARTBEAT_PREFIX) for event in events):
        return
    run_id = redis_client().hget(runs_key(), str(sandbox.pk))
    if run_id is not None:
        wake(int(run_id))


@shared_task(ignore_result=True)
def resume_runs() -> None:
    """Beat: advance every run still going that nothing advanced for a while."""
    stale = timezone.now() - timezone.timedelta(seconds=RESUME_AFTER_SECONDS)
    going = LessonRun.objects.filter(state__in=GOING, updated_at__lt=stale)
    for run_id in going.values_list("pk", flat=True):
        wake(run_id)
