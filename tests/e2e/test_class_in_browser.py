"""A class in the browser: an instructor starts lesson 1 for three students (three browser
contexts); they join with the code and answer a question; the dashboard shows their
answers as they come; the instructor moves them all on and sees their progress."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from lessons.models import ClassLesson, LessonRun
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

STUDENTS = ("ana", "ben", "chen")
# Their answers to step 5 ("Is the pod running?"): two right (1), one not (0).
ANSWERS = {"ana": 1, "ben": 1, "chen": 0}
ROW_JS = """(name) =>
  document.querySelector(`#class-progress tr[data-student="${name}"]`)?.innerText ?? ''"""
CHART_COUNT_JS = """([step, choice]) => {
  const bars = document.querySelectorAll(`#class-progress .chart[data-step="${step}"] .bar-count`);
  return bars[choice] ? Number(bars[choice].textContent) : -1;
}"""


def at_step(page, step: int) -> None:
    page.wait_for_selector(f"#lesson .lesson-progress:text('Step {step} of 23')")


def press_next(page, step: int) -> None:
    """Next, at this step, and wait until the panel shows the one after (a second press
    while the first is on its way would be dropped, as a person's double click is)."""
    at_step(page, step)
    page.click("#lesson button:text('Next')")
    at_step(page, step + 1)


def test_an_instructor_runs_lesson_one_with_three_students(open_page):
    teacher = make_user("ms-rivera")
    teacher.user_permissions.add(Permission.objects.get(codename="run_classes"))
    dashboard = open_page(teacher, "/classes/", viewport=(1280, 1000))
    dashboard.fill("#class-name", "Tuesday group")
    dashboard.select_option("#class-lesson", "how-kubernetes-creates-a-pod")
    dashboard.click("button:text('Create the class')")
    dashboard.wait_for_selector(".class-code")
    code = ClassLesson.objects.get().code
    assert dashboard.inner_text(".class-code").strip() == code
    dashboard.wait_for_function(
        "() => document.querySelector('#dashboard-connection').textContent === 'Live'"
    )

    pages = {}
    for name in STUDENTS:
        page = open_page(make_user(name), "/join/")
        page.fill("#join-code", code.lower())
        page.click("button:text('Join')")
        page.wait_for_selector("#lesson .lesson-step")
        pages[name] = page
        # The dashboard learns of each student as they join, without a reload.
        dashboard.wait_for_function(f"(name) => ({ROW_JS})(name).includes('1/23')", arg=name)

    # Each reads on to the question, "Is the pod running?" (step 5), creating the pod on
    # the way, and answers it.
    for name, page in pages.items():
        press_next(page, 1)  # the cluster
        page.click("#create-pod")
        page.wait_for_selector("#pod-form")
        page.fill("#id_name", "web")
        page.fill("#id_image", "nginx")
        page.click("#pod-form button[type=submit]")
        at_step(page, 3)  # the runner saw the create
        press_next(page, 3)  # who are you
        press_next(page, 4)  # write it down
        page.wait_for_selector("#lesson input[name=choice]")
        page.check(f"#lesson input[name=choice][value='{ANSWERS[name]}']")
        page.click("#lesson button:text('Answer')")
        page.wait_for_selector("#lesson .lesson-progress:text('Step 6 of 23')")

    # The bar chart of step 5 shows the answers as they came: 2 right, 1 not.
    dashboard.wait_for_function(
        f"() => ({CHART_COUNT_JS})([5, 1]) === 2 && ({CHART_COUNT_JS})([5, 0]) === 1"
    )

    # Everyone is at step 6 ("Created", a narration): the instructor moves them all on.
    dashboard.click("button:text('Move everyone on')")
    for name in STUDENTS:
        dashboard.wait_for_function(f"(name) => !({ROW_JS})(name).includes('6/23')", arg=name)
        pages[name].wait_for_function(
            "() => !document.querySelector('#lesson .lesson-progress')"
            ".textContent.includes('Step 6 ')"
        )
    assert all(run.step >= 6 for run in LessonRun.objects.all())
    # On a phone, the table of students scrolls sideways, not the page.
    dashboard.set_viewport_size({"width": 390, "height": 844})
    assert dashboard.evaluate("document.documentElement.scrollWidth") <= 390
    # A student's phone shows the lesson first, the diagram it talks about below it.
    phone = pages["ana"]
    phone.set_viewport_size({"width": 390, "height": 844})
    # Both read in one go: the panel may be swapped for a fresh copy at any moment.
    lesson_top, diagram_top = phone.evaluate(
        "['#lesson', '#diagram'].map(s => document.querySelector(s).getBoundingClientRect().top)"
    )
    assert lesson_top < diagram_top, "on a phone, the lesson panel is below the diagram"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert dashboard.errors == []
    assert all(page.errors == [] for page in pages.values())
