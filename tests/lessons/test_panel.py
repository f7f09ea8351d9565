"""The lesson pages as a student and others meet them: start, the panel, Next, answers."""

from __future__ import annotations

import pytest
from django.test import Client

from cluster.models import Sandbox
from lessons import runner
from lessons.models import LessonRun
from lessons.shipped_lessons import shipped_lessons

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def run(alice, classroom) -> LessonRun:
    lesson = next(lesson for lesson in shipped_lessons() if lesson.slug.startswith("how-"))
    run = runner.run_start(lesson, alice)
    Sandbox.objects.filter(pk=run.sandbox_id).update(classroom=classroom)
    return run


def test_the_list_shows_every_shipped_lesson_and_start_makes_a_sandbox_with_the_lesson(alice):
    client = client_for(alice)
    page = client.get("/lessons/").content.decode()
    for title in (
        "How Kubernetes creates a pod",
        "Why is my pod Pending?",
        "When a container fails",
        "Self-healing",
        "Rolling updates and rollbacks",
        "Desired state and actual state",
    ):
        assert title in page
    answer = client.post("/lessons/how-kubernetes-creates-a-pod/start/")
    run = LessonRun.objects.get(student=alice)
    assert answer.status_code == 302
    assert answer["Location"] == f"/sandboxes/{run.sandbox_id}/"
    sandbox_page = client.get(answer["Location"]).content.decode()
    assert f'hx-get="/sandboxes/{run.sandbox_id}/lesson/"' in sandbox_page


POLLING_LESSON = """\
apiVersion: podlab.dev/v1
kind: Lesson
metadata: {name: quick-polls, title: Quick polls, summary: The scheduler asks every 2 s.}
cluster:
  mode: poll
  intervals: {scheduler: 2, controller-manager/podgc: 60}
steps:
  - narrate: Watch the scheduler ask.
"""


def test_a_lesson_s_poll_intervals_are_its_sandbox_s_and_its_page_says_them(alice):
    run = runner.run_start(runner.lesson_store(POLLING_LESSON, author=alice), alice)
    sandbox = run.sandbox
    assert (sandbox.mode, sandbox.intervals) == (
        "poll",
        {"scheduler": 2, "controller-manager/podgc": 60},
    )
    page = client_for(alice).get(f"/sandboxes/{sandbox.pk}/").content.decode()
    assert "poll every 2 s (the lesson)" in page
    clock = client_for(alice).get(f"/sandboxes/{sandbox.pk}/clock/").json()
    assert clock["pollSeconds"] == 2


def test_starting_a_lesson_counts_against_the_sandbox_limit(alice, settings):
    settings.PODLAB_MAX_SANDBOXES_PER_USER = 0
    answer = client_for(alice).post("/lessons/how-kubernetes-creates-a-pod/start/")
    assert answer.status_code == 403
    assert "the most one account may have" in answer.content.decode()
    assert not LessonRun.objects.exists()


def test_next_moves_the_student_on_one_step_and_back_shows_the_one_before(run, alice):
    client = client_for(alice)
    base = f"/sandboxes/{run.sandbox_id}/lesson/"
    first = client.get(base).content.decode()
    assert "Step 1 of 23" in first and "The cluster" in first and ">Next</button>" in first
    second = client.post(f"{base}next/").content.decode()
    assert "Step 2 of 23" in second
    assert f'data-version="{LessonRun.objects.get(pk=run.pk).moves}"' in second
    assert "Your turn" in second and "Create pod" in second
    assert 'data-highlight="user kube-apiserver"' in second
    back = client.get(f"{base}?view=0").content.decode()
    assert "The cluster" in back and ">Current step</a>" in back


def test_an_answer_must_be_one_of_the_choices(run, alice):
    client = client_for(alice)
    base = f"/sandboxes/{run.sandbox_id}/lesson/"
    run.progress = {**run.progress, "step": 4}  # "Is it running?"
    run.step = 4
    run.save()
    page = client.get(base).content.decode()
    assert "Is the pod running?" in page.replace("**", "")
    assert client.post(f"{base}answer/", {"choice": "x"}).status_code == 422
    answered = client.post(f"{base}answer/", {"choice": "1"}).content.decode()
    assert "The answer shows after the next step." not in answered  # moved on to "Created"
    run.refresh_from_db()
    assert run.progress["answers"]["is-it-running"] == 1
    assert run.progress["results"]["is-it-running"] == {
        "answer": 1,
        "revealed": False,
        "right": True,
    }


def test_a_classmate_cannot_see_the_lesson_and_the_instructor_only_watches(run, bob, teacher):
    base = f"/sandboxes/{run.sandbox_id}/lesson/"
    assert client_for(bob).get(base).status_code == 404
    assert client_for(bob).post(f"{base}next/").status_code == 404
    watching = client_for(teacher).get(base)
    assert watching.status_code == 200
    assert ">Next</button>" not in watching.content.decode()
    assert client_for(teacher).post(f"{base}next/").status_code == 403
    run.refresh_from_db()
    assert run.step == 0
