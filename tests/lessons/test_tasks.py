"""How a lesson run is woken (lessons/tasks.py), against the real Redis."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiServer, publish
from cluster.coordination import redis_client
from lessons import runner, tasks
from lessons.shipped_lessons import shipped_lessons

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run(alice):
    lesson = next(lesson for lesson in shipped_lessons() if lesson.slug.startswith("how-"))
    run = runner.run_start(lesson, alice, headless=True)
    yield run
    redis_client().hdel(tasks.runs_key(), str(run.sandbox_id))


def test_a_run_that_waits_on_a_look_is_due_again_within_a_second(run):
    """Lesson 1 headless goes straight to its first wait on a call (the create's own
    call is seen only at the next look): the advance leaves a timer for the next."""
    redis_client().delete(tasks._key("timer", run.pk))
    tasks.advance(run.pk)  # the task's body, here, once
    run.refresh_from_db()
    assert run.step == 1  # the do step, its autoplay done
    timer = redis_client().pttl(tasks._key("timer", run.pk))
    assert 0 < timer <= tasks.POLL_SECONDS * 1000


def test_a_commit_in_the_sandbox_wakes_its_run_and_only_its_run(run, alice, bob):
    tasks.remember_run(run)
    redis_client().delete(tasks._key("queued", run.pk))
    other = runner.run_start(run.lesson, bob, headless=True)  # not remembered: not woken
    pod = {"metadata": {"name": "x"}, "spec": {"containers": [{"name": "x", "image": "nginx"}]}}
    ApiServer.as_user(run.sandbox, alice).create("pods", pod, namespace="default")
    assert publish.flush()
    assert redis_client().exists(tasks._key("queued", run.pk))
    assert not redis_client().exists(tasks._key("queued", other.pk))


def test_a_kubelets_lease_renewal_wakes_no_run(run):
    """Heartbeats come every 10 s per node and change nothing a lesson waits for."""
    tasks.remember_run(run)
    kubelet = ApiServer.as_component(run.sandbox, "kubelet/node-1")
    lease = {
        "metadata": {"name": "node-1"},
        "spec": {"holderIdentity": "node-1", "renewTime": "2026-12-07T10:00:00.000000Z"},
    }
    lease = kubelet.create("leases", lease, namespace="kube-node-lease")
    assert publish.flush()
    redis_client().delete(tasks._key("queued", run.pk))
    lease["spec"]["renewTime"] = "2026-12-07T10:00:10.000000Z"
    kubelet.update("leases", lease, namespace="kube-node-lease")
    assert publish.flush()
    assert not redis_client().exists(tasks._key("queued", run.pk))


def test_a_wait_for_a_call_looks_again_sooner(run):
    """Lesson 1's "the scheduler asks" waits for a traced read: nothing commits for it,
    so only a look sees it, and a look at the traces is one query."""
    steps = runner.lesson_data(run.lesson.pk, run.lesson.text)["steps"]
    asks = next(i for i, step in enumerate(steps) if step.get("id") == "the-scheduler-asks")
    run.progress = {**run.progress, "step": asks}
    run.step = asks
    run.save()
    redis_client().delete(tasks._key("timer", run.pk))
    tasks.advance(run.pk)
    run.refresh_from_db()
    assert run.step == asks  # no scheduler runs here: still waiting
    timer = redis_client().pttl(tasks._key("timer", run.pk))
    assert 0 < timer <= tasks.POLL_CALLS_SECONDS * 1000


def test_a_lesson_going_on_keeps_its_sandbox_awake_and_one_ended_does_not(run):
    """A headless run has no page open: its own advances say it watches the sandbox, or
    the sandbox could go idle under a wait (its clock, and the wait, standing still)."""
    from cluster import idle

    viewers = idle._key("viewers", run.sandbox_id)
    redis_client().delete(viewers)
    tasks.advance(run.pk)
    assert redis_client().zscore(viewers, f"lesson-run-{run.pk}") is not None
    run.refresh_from_db()
    run.state = "done"
    runner.keep_watching(run)
    assert redis_client().zscore(viewers, f"lesson-run-{run.pk}") is None
