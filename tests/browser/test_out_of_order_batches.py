"""Pushes leave from several processes, so a batch can overtake the one before it by a
few milliseconds: the page waits a moment for the missing revision instead of dropping
its picture for a resync; a revision that never comes still gets one."""

from __future__ import annotations

import pytest

from tests.browser import cluster_data as data
from tests.browser.harness import deliver, sent, wait_for_revision, wait_for_snapshots
from tests.browser.test_diagram_module import bind_and_run, lesson_snapshot, status_of

pytestmark = pytest.mark.browser


def open_page(page, harness, snapshot) -> None:
    harness.load(page, snapshot=snapshot)
    deliver(page, snapshot)
    wait_for_snapshots(page, 1)


def test_a_batch_that_overtook_the_one_before_it_waits_for_it(page, harness):
    web = data.pod("web")
    open_page(page, harness, lesson_snapshot([web], revision=10))
    binding, report = bind_and_run(web, 11)
    ahead = data.changes(12, [], [data.trace("scheduler", "list", "pods", "", 12, namespace="")])

    deliver(page, ahead)  # a read that saw revision 12, pushed by another process
    deliver(page, report)  # revision 12's write, before 11's
    deliver(page, binding)  # revision 11, a few milliseconds late

    wait_for_revision(page, 12)
    assert status_of(page, "web") == "Running"
    page.wait_for_timeout(600)  # longer than the page waits for a missing revision
    assert sent(page) == []
    assert page.evaluate("window.podlab.snapshots") == 1


def test_a_revision_that_never_comes_still_brings_a_resync(page, harness):
    web = data.pod("web")
    open_page(page, harness, lesson_snapshot([web], revision=10))
    _, report = bind_and_run(web, 11)

    deliver(page, report)  # 11 was lost

    page.wait_for_function("() => window.fakeSocket().sent.length > 0")
    assert sent(page) == [{"type": "resync"}]
    assert status_of(page, "web") == "Pending"
