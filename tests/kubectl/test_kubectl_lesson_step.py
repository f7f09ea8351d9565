"""A lesson's `kubectl` step (issue 13): the student is asked for a command, runs it with
the real kubectl or in the page's command box, and the run moves on when its call
reaches the API server (tests/lessons/test_engine.py: a click making the same call does
not count, nor another student's)."""

from __future__ import annotations

import pytest

from kubeapi.command_box.box import answer
from lessons import runner
from lessons.models import Lesson
from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

LESSON = """\
apiVersion: podlab.dev/v1
kind: Lesson
metadata:
  name: kubectl-first
  title: kubectl first
  summary: Run a pod with kubectl, then list pods from the command box.
steps:
  - kubectl:
      say: Create a pod with kubectl.
      command: kubectl run web --image=nginx
  - kubectl:
      say: Now list the pods.
      command: kubectl get pods
  - narrate: Done.
"""


def test_a_kubectl_step_passes_on_the_real_kubectl_and_on_the_box(kubectl_for, stack, alice):
    lesson = Lesson.objects.create(slug="kubectl-first", version=1, title="kubectl first",
                                   text=LESSON, author=alice)  # fmt: skip
    run = runner.run_start(lesson, alice)
    kubectl = kubectl_for(alice, run.sandbox)

    def step() -> int:
        run.refresh_from_db()
        return run.step

    runner.advance_run(run.pk)
    assert step() == 0
    assert kubectl("run", "web", "--image=nginx").stdout.strip() == "pod/web created"
    wait_for(lambda: step() == 1, timeout=30, message=lambda: f"at step {run.step}")
    assert "web" in answer(run.sandbox, alice, "kubectl get pods").text
    wait_for(lambda: step() == 2, timeout=30, message=lambda: f"at step {run.step}")
