"""An instructor writes a new lesson in the editor (its problems shown at their lines as
they type), saves it, tries it on a sandbox of their own, and runs it with a class; a
student joins with the code and goes through it to the end while the instructor's
dashboard follows, live."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from lessons import engine
from lessons.models import ClassLesson, Lesson, LessonRun
from tests.conftest import make_user
from tests.e2e.conftest import wait_connected

pytestmark = pytest.mark.django_db(transaction=True)

# Line 9 has a mistake to fix: poll mode's name is "poll".
FIRST_DRAFT = """\
apiVersion: podlab.dev/v1
kind: Lesson
metadata:
  name: first-pod
  title: Your first pod
  summary: Create a pod, and watch the cluster run it.
cluster:
  clock: {speed: 10}
  mode: pol
steps:
  - id: intro
    title: Welcome
    narrate: You will create a pod and follow it.
  - id: guess
    ask:
      question: Where does a new pod wait for its node?
      choices:
        - In etcd, as a pod with no nodeName
        - On a kubelet
      answer: 0
  - id: create
    do:
      say: Press **Create pod**, name it `web`, with the image `nginx`.
      expect: {verb: create, resource: pods, name: web}
  - id: running
    title: Running
    wait_for:
      condition:
        object: {resource: pods, name: web, phase: Running}
      timeout: 120
"""
ROW_JS = """(name) =>
  document.querySelector(`#class-progress tr[data-student="${name}"]`)?.innerText ?? ''"""


def type_lesson(page, text: str) -> None:
    """Into the editor, as typed: the check runs on a key's release."""
    page.fill("#lesson-text", text)
    page.press("#lesson-text", "End")


def create_pod(page) -> None:
    page.click("#create-pod")
    page.wait_for_selector("#pod-form")
    page.fill("#id_name", "web")
    page.fill("#id_image", "nginx")
    page.click("#pod-form button[type=submit]")


def row_says(dashboard, student: str, text: str) -> None:
    """The dashboard's row of the student comes to say this, without a reload."""
    dashboard.wait_for_function(
        f"([name, text]) => ({ROW_JS})(name).includes(text)", arg=[student, text]
    )


def at_step(page, text: str) -> None:
    page.wait_for_selector(f"#lesson .lesson-progress:text('{text}')")


def test_an_instructor_writes_tries_and_runs_a_lesson_a_student_goes_through_it(open_page):
    teacher = make_user("ms-rivera")
    teacher.user_permissions.add(Permission.objects.get(codename="run_classes"))
    editor = open_page(teacher, "/lessons/mine/", viewport=(1280, 1000))
    editor.wait_for_selector("#problems .passed:text('Valid')")  # the starter lesson

    # The first draft has a mistake: it is named at its line, and the line is a click away.
    type_lesson(editor, FIRST_DRAFT)
    problem = editor.locator("#problems li[data-line='9']")
    problem.wait_for()
    assert 'cluster.mode: must be one of "poll", "watch", not "pol"' in problem.inner_text()
    problem.locator("button").click()
    selected = editor.evaluate(
        "() => { const t = document.querySelector('#lesson-text');"
        " return t.value.slice(t.selectionStart, t.selectionEnd); }"
    )
    assert selected == "  mode: pol"
    type_lesson(editor, FIRST_DRAFT.replace("mode: pol", "mode: poll"))
    editor.wait_for_selector("#problems .passed:text('Valid')")
    editor.click("button:text('Save')")
    editor.wait_for_selector("text=Saved “Your first pod” as version 1")
    assert Lesson.objects.get(slug="first-pod", author=teacher).version == 1

    # Tried on a sandbox of the instructor's own: the live page, with the lesson's panel.
    editor.click("button:text('Try it on a new sandbox')")
    editor.wait_for_selector("#lesson .lesson-step")
    at_step(editor, "Step 1 of 4")
    wait_connected(editor)

    # A class with it: the dashboard, and a student who joins with the code.
    dashboard = open_page(teacher, "/classes/", viewport=(1280, 1000))
    dashboard.fill("#class-name", "Wednesday group")
    dashboard.select_option("#class-lesson", "first-pod")
    dashboard.click("button:text('Create the class')")
    dashboard.wait_for_selector(".class-code")
    code = ClassLesson.objects.get().code
    student = open_page(make_user("dara"), "/join/")
    student.fill("#join-code", code)
    student.click("button:text('Join')")
    at_step(student, "Step 1 of 4")
    wait_connected(student)
    row_says(dashboard, "dara", "1/4")

    student.click("#lesson button:text('Next')")
    student.check("#lesson input[name=choice][value='0']")
    student.click("#lesson button:text('Answer')")
    at_step(student, "Step 3 of 4")
    # The dashboard shows the answer as it comes: one right answer to step 2.
    dashboard.wait_for_function(
        "() => Number(document.querySelector("
        "'#class-progress .chart[data-step=\"2\"] .bar-count')?.textContent) === 1"
    )
    create_pod(student)
    student.wait_for_selector("#lesson .lesson-step[data-state='done']", timeout=60_000)
    assert "You finished “Your first pod”" in student.inner_text("#lesson")
    row_says(dashboard, "dara", "finished")

    run = LessonRun.objects.get(student__username="dara")
    assert run.state == engine.DONE
    assert run.progress["results"]["guess"]["right"] is True
    assert editor.errors == dashboard.errors == student.errors == []
