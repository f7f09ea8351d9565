"""An instructor watches a student's sandbox on the real stack: found on their home
page, opened read-only, and live."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiServer
from tests.e2e.conftest import pod_card, wait_connected

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_instructor_watches_a_students_sandbox_read_only_and_live(
    open_page, sandbox, alice, teacher
):
    page = open_page(teacher, "/")
    page.get_by_role("link", name="alice: lesson").click()
    wait_connected(page)
    assert page.locator("#read-only").inner_text().strip() == "Read-only: alice's sandbox"
    assert page.locator("#create-pod, #create-yaml, [data-clock-action]").count() == 0
    ApiServer.as_user(sandbox, alice).create(
        "pods",
        {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}},
        namespace="default",
    )
    pod_card(page, "web").wait_for(timeout=20_000)
    pod_card(page, "web").click()
    page.locator("#pod-panel").wait_for()
    assert page.locator("#pod-panel .read-only-note").is_visible()
    assert page.locator("#pod-panel form").count() == 0
    assert page.errors == []
