"""The live page in Firefox (Debian's firefox-esr over WebDriver BiDi), end to end: the
same real stack as test_live_page.py, so the page is shown to work in both browsers.

Set PODLAB_DOCS_SCREENSHOTS=1 to also write the journey's screenshot to
docs/firefox-live-page.png.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from tests.e2e.bidi import Tab
from tests.e2e.conftest import wait_connected_tab
from tests.e2e.lesson import POD_SHOWS_STATUS_JS, TIMELINE_TEXTS_JS, assert_lesson_steps_in_order

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def create_pod_with_form(tab: Tab, name: str, **fields: str) -> None:
    """Open the create-pod panel, type into its fields and submit it, with the mouse
    and the keyboard, as a student would."""
    tab.click("#create-pod")
    # The page moves the focus into the panel once it is loaded: type after that.
    tab.wait_for(
        """() => Boolean(document.querySelector('#pod-form form'))
                 && document.querySelector('#panel').contains(document.activeElement)""",
        what="the create-pod form, focused",
    )
    for field, value in {"name": name, **fields}.items():
        tab.type_text(f"#id_{field}", value)
    tab.click("#pod-form button[type=submit]")


def pod_label(tab: Tab, name: str) -> str:
    return tab.call(
        "(name) => document.querySelector(`g.pod[data-name='${name}']`)"
        "?.getAttribute('aria-label') ?? ''",
        name,
    )


def wait_status(tab: Tab, name: str, status: str, timeout: float = 30) -> None:
    tab.wait_for(
        POD_SHOWS_STATUS_JS,
        name,
        status,
        timeout=timeout,
        what=lambda: f"pod {name} to show {status} (it shows {pod_label(tab, name)!r})",
    )


def timeline_texts(tab: Tab) -> list[str]:
    return tab.evaluate(TIMELINE_TEXTS_JS)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", png[16:24])


def test_in_firefox_a_pod_created_from_the_form_runs_and_the_timeline_tells_the_story(
    open_tab, sandbox, alice, tmp_path
):
    tab = open_tab(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    wait_connected_tab(tab)
    assert tab.evaluate("document.querySelector('#connection').dataset.state") == "connected"
    # The lesson's worker nodes are drawn, each with a box of some size.
    nodes = tab.evaluate(
        """[...document.querySelectorAll('#diagram g.node')].map(node => {
            const box = node.getBBox();
            return [node.dataset.node, box.width > 0 && box.height > 0];
        })"""
    )
    assert sorted(nodes) == [["node-1", True], ["node-2", True]]

    create_pod_with_form(tab, "web")
    wait_status(tab, "web", "Running")
    assert_lesson_steps_in_order(timeline_texts(tab))
    # The Running pod is drawn inside the node it was bound to.
    inside = tab.evaluate(
        """(() => {
            const pod = document.querySelector('g.pod[data-name="web"]');
            const node = pod.closest('g.node');
            if (!node) return null;
            const p = pod.getBoundingClientRect(), n = node.getBoundingClientRect();
            return p.width > 0 && p.left >= n.left && p.right <= n.right
                && p.top >= n.top && p.bottom <= n.bottom;
        })()"""
    )
    assert inside is True

    png = tab.screenshot(tmp_path / "firefox-live-page.png")
    assert png_size(png) == (1280, 800)
    if os.environ.get("PODLAB_DOCS_SCREENSHOTS") == "1":
        (DOCS / "firefox-live-page.png").write_bytes(png)
    assert tab.errors == []


def test_in_firefox_the_clock_pauses_and_plays_from_the_keyboard(open_tab, sandbox, alice):
    tab = open_tab(alice, f"/sandboxes/{sandbox.pk}/?animations=off")
    wait_connected_tab(tab)
    assert tab.evaluate("document.querySelector('#clock-state').textContent") == "Running ×1"

    tab.evaluate("document.querySelector('form[data-clock-action=\"pause\"] button').focus()")
    tab.press("Enter")
    tab.wait_for(
        """() => document.querySelector('#clock-state').textContent === 'Paused'
                 && document.querySelector('#podlab').dataset.paused === 'true'""",
        what="the clock to show Paused",
    )
    sandbox.refresh_from_db()
    assert sandbox.clock_paused is True

    # Tab moves on to Play; Space presses it.
    tab.press("Tab", "Space")
    tab.wait_for(
        "() => document.querySelector('#clock-state').textContent === 'Running ×1'",
        what="the clock to run again",
    )
    sandbox.refresh_from_db()
    assert sandbox.clock_paused is False
    assert tab.errors == []
