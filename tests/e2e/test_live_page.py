"""The live page, end to end, as a student meets it."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiServer
from tests.e2e.conftest import pod_card, wait_connected
from tests.e2e.lesson import POD_SHOWS_STATUS_JS, TIMELINE_TEXTS_JS, assert_lesson_steps_in_order

pytestmark = pytest.mark.django_db(transaction=True)


def create_pod_with_form(page, name: str, **fields: str) -> None:
    page.click("#create-pod")
    page.wait_for_selector("#pod-form")
    page.fill("#id_name", name)
    for field, value in fields.items():
        page.fill(f"#id_{field}", value)
    page.click("#pod-form button[type=submit]")


def wait_status(page, name: str, status: str, timeout: float = 30_000) -> None:
    page.wait_for_function(
        f"([name, status]) => ({POD_SHOWS_STATUS_JS})(name, status)",
        arg=[name, status],
        timeout=timeout,
    )


def timeline_texts(page) -> list[str]:
    return page.evaluate(TIMELINE_TEXTS_JS)


def test_a_pod_created_from_the_form_runs_and_the_timeline_tells_the_story(
    open_page, sandbox, alice
):
    page = open_page(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    wait_connected(page)
    create_pod_with_form(page, "web")
    wait_status(page, "web", "Running")
    assert_lesson_steps_in_order(timeline_texts(page))
    # The pod's panel, opened by the form while the pod was Pending, follows it.
    page.wait_for_function(
        """() => document.querySelector('#pod-panel .pod-status')?.dataset.status === 'Running'""",
        timeout=10_000,
    )
    assert page.errors == []


def test_a_too_big_pod_explains_why_it_is_pending(open_page, sandbox, alice):
    page = open_page(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    wait_connected(page)
    create_pod_with_form(page, "huge", cpu_request="3")
    page.wait_for_selector("#pod-panel")
    # The panel shows the pod as the API server answered; the scheduler decides a
    # moment later, so reopen the panel until its decision is there.
    for _ in range(40):
        pod_card(page, "huge").click()
        page.wait_for_selector("#pod-panel")
        if page.locator("#pod-panel .scheduler-message").count():
            break
        page.wait_for_timeout(500)
    message = page.inner_text("#pod-panel .scheduler-message")
    assert message.startswith("0/3 nodes are available: 1 node(s) had untolerated taint")
    assert "2 Insufficient cpu" in message


def test_a_second_browser_sees_the_same_changes(open_page, sandbox, alice):
    first = open_page(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    second = open_page(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    wait_connected(first)
    wait_connected(second)
    create_pod_with_form(first, "shared")
    wait_status(second, "shared", "Running")


def test_another_students_sandbox_is_not_found_for_them(open_page, sandbox, bob):
    page = open_page(bob, f"/sandboxes/{sandbox.pk}/")
    assert "404 NotFound" in page.content()


def test_pause_then_step_advances_one_tick_of_each_component(open_page, sandbox, alice):
    page = open_page(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    wait_connected(page)
    page.click('form[data-clock-action="pause"] button')
    page.wait_for_function(
        "() => document.querySelector('#clock-state').textContent.includes('Paused')"
    )
    create_pod_with_form(page, "stepper")
    wait_status(page, "stepper", "Pending")
    page.wait_for_timeout(2000)  # a running worker and beat get every chance to act
    assert not any("bound pod default/stepper" in text for text in timeline_texts(page))

    page.click('form[data-clock-action="step"] button')
    page.wait_for_function(
        """() => [...document.querySelectorAll('#timeline-list li')]
                 .some(li => li.textContent.includes('bound pod default/stepper'))""",
        timeout=20_000,
    )
    page.wait_for_timeout(1500)
    # One tick each: the scheduler bound the pod, but no kubelet has run it yet.
    assert not any("reported the status of pod default/stepper" in t for t in timeline_texts(page))


def test_a_crashed_container_restarts(open_page, sandbox, alice):
    page = open_page(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    wait_connected(page)
    create_pod_with_form(page, "crashy")
    wait_status(page, "crashy", "Running")
    pod_card(page, "crashy").click()
    page.wait_for_selector("#pod-panel #crash-exit")
    page.fill("#crash-exit", "2")
    page.click("#pod-panel form:has(#crash-exit) button")
    page.wait_for_function(
        """() => (document.querySelector('g.pod[data-name="crashy"]')
                  ?.getAttribute('aria-label') || '').includes('1 restarts')""",
        timeout=30_000,
    )


def test_yaml_with_an_error_shows_the_cause_at_its_line(open_page, sandbox, alice):
    page = open_page(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    wait_connected(page)
    page.click("#create-yaml")
    page.wait_for_selector("#manifest-text")
    page.fill(
        "#manifest-text",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n"
        "    - name: app\n      image: nginx\n      resources:\n        requests:\n"
        "          memory: lots\n",
    )
    page.click("#manifest-editor button[type=submit]")
    error = page.wait_for_selector('#manifest-editor .field-error[data-line="11"]')
    assert "spec.containers[0].resources.requests[memory]: Invalid value" in error.inner_text()


def test_a_bad_field_in_the_form_shows_the_api_servers_cause_next_to_it(open_page, sandbox, alice):
    page = open_page(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    wait_connected(page)
    create_pod_with_form(page, "web", cpu_request="lots")
    error = page.wait_for_selector("#error-cpu_request")
    assert "spec.containers[0].resources.requests[cpu]: Invalid value" in error.inner_text()


def test_replay_reaches_a_pod_that_came_and_went_before_the_page_opened(open_page, sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    manifest = {
        "metadata": {"name": "early"},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    }
    api.create("pods", manifest, namespace="default")
    api.delete("pods", "early", namespace="default", grace_period_seconds=0)

    page = open_page(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    wait_connected(page)
    assert pod_card(page, "early").count() == 0
    page.focus("#replay")
    page.wait_for_function("() => window.podlab.backfill === 'complete'", timeout=20_000)
    assert page.evaluate("window.podlab.oldest") == 1

    page.keyboard.press("Home")
    page.wait_for_function("() => window.podlab.replaying === 1")
    for _ in range(300):  # one revision with changes per key press, from the sandbox's start
        if pod_card(page, "early").count():
            break
        page.keyboard.press("ArrowRight")
    assert pod_card(page, "early").count() == 1
    assert any("alice created pod default/early" in text for text in timeline_texts(page))

    page.click("#back-to-live")
    page.wait_for_function("() => window.podlab.replaying === null")
    assert pod_card(page, "early").count() == 0
    assert page.errors == []


def test_a_clock_paused_in_one_tab_shows_paused_in_the_other(open_page, sandbox, alice):
    first = open_page(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    second = open_page(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    wait_connected(first)
    wait_connected(second)
    first.click('form[data-clock-action="pause"] button')
    second.wait_for_function(
        "() => document.querySelector('#clock-state').textContent === 'Paused'"
    )
    first.select_option("#clock-speed", "5")
    first.click('form[data-clock-action="resume"] button')
    second.wait_for_function(
        "() => document.querySelector('#clock-state').textContent === 'Running ×5'"
    )
