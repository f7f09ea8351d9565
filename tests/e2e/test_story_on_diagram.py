"""On the real stack, in poll mode: the lesson's whole story (../shared/LESSON-STORY.md)
drawn on the diagram itself, in order, from the kubectl command a click stands for to
the pod Running on its node.

With PODLAB_STORY_SHOTS=<folder> (and PODLAB_STORY_VIEWPORT=390x844 for a phone), the
test also takes a screenshot of each step as it is drawn: docs/story-*.png come from it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.harness import drawn, record_drawing
from tests.e2e.conftest import wait_connected, wait_until_the_diagram_is_still
from tests.e2e.test_live_page import create_pod_with_form

pytestmark = pytest.mark.django_db(transaction=True)

# A page that sees a revision it cannot fill in resyncs, and the snapshot drops the
# messages still to travel; a page too far behind (a slow machine, a busy CI) folds calls
# to catch up, and says so. Either way the story is then told again with another pod, of
# another image, so that the kubelet pulls again.
IMAGES = ("nginx:1.27.3", "redis:7.4.1", "httpd:2.4.62", "nginx:1.25.5")
# The attempts the page folded (tell appends to it).
FOLDED_ATTEMPTS: list[str] = []

# (step, what the diagram draws for it: a regular expression on a message's text, or a
# kind of drawing); {pod} and {node} are filled in.
STORY = (
    ("request", "create pod {pod}"),
    ("apiserver-stages", "kind:stage-panel"),
    ("etcd-write", "store pod {pod}"),
    ("created", "201 Created"),
    ("scheduler-asks", r"any pods to schedule\?"),
    ("scheduler-finds", "yes: 1 found"),
    ("filter-and-score", "kind:marks"),
    ("binding", "bind {pod} to {node}"),
    ("binding-stored", "store binding {pod} → {node}"),
    ("kubelet-told", "watch: run {pod}"),
    ("image-pull", "PullImage {image}"),
    ("container-create", "CreateContainer app"),
    ("container-start", "StartContainer app"),
    ("running", "status: Running"),
)


def pattern(want: str, pod: str, image: str) -> str:
    if want.startswith("kind:"):
        return want
    return want.format(pod=re.escape(pod), node=r"node-\d", image=re.escape(image))


def matches(entry: dict, wanted: str) -> bool:
    if wanted.startswith("kind:"):
        return entry["kind"] == wanted.removeprefix("kind:")
    return re.fullmatch(wanted, entry["text"]) is not None


def steps_in_order(log: list[dict], pod: str, image: str) -> list[tuple[str, int | None]]:
    """Where each step was first drawn after the step before it (None: not drawn)."""
    found, start = [], 0
    for step, want in STORY:
        wanted = pattern(want, pod, image)
        index = next((i for i in range(start, len(log)) if matches(log[i], wanted)), None)
        found.append((step, index))
        start = index + 1 if index is not None else start
    return found


def shoot_each_step(page, pod: str, image: str, folder: Path, size: str) -> None:
    """Screenshot each step the moment it is drawn (the messages travel for seconds at
    Very slow pace)."""
    for number, (step, want) in enumerate(STORY, start=1):
        page.wait_for_function(
            """([want, seen]) => window.drawn.slice(seen).some(d => want.startsWith('kind:')
                ? d.kind === want.slice(5) : new RegExp(`^(?:${want})$`).test(d.text))""",
            arg=[pattern(want, pod, image), 0],
            timeout=90_000,
        )
        if step == "apiserver-stages":  # once the lights have turned green
            page.wait_for_selector(
                ".diagram .stage-passed[data-stage=validation]", state="attached"
            )
        # On a phone the diagram pans in its box: bring the step's drawing into view.
        page.evaluate(
            """() => {
                const box = document.querySelector('#diagram');
                const drawing = [...document.querySelectorAll('.diagram .messages > *')].pop();
                if (!drawing || box.scrollWidth <= box.clientWidth) return;
                const [shown, at] = [box.getBoundingClientRect(), drawing.getBoundingClientRect()];
                box.scrollLeft += at.left + at.width / 2 - (shown.left + shown.width / 2);
            }"""
        )
        path = folder / f"story-{number:02d}-{step}-{size}.png"
        page.locator("#diagram").screenshot(path=str(path), animations="allow")


def tell(page, sandbox, pod: str, image: str) -> tuple[list[dict], list[str]] | None:
    """Create a pod from the form and wait for its story to be told: its drawing log and
    the steps missing from it; None if a resync came first, or if steps are missing and
    the page folded calls to catch up (and said so)."""
    # What came before (the sandbox's start, an attempt before) drawn first: the story's
    # calls then travel at the head of the queue.
    wait_until_the_diagram_is_still(page, sandbox)
    resyncs = page.evaluate("window.podlab.resyncs")
    page.evaluate(
        """() => {
            window.foldedNotes = [];
            const note = document.querySelector('#catch-up-note');
            const seen = () => note.textContent && window.foldedNotes.push(note.textContent);
            new MutationObserver(seen)
                .observe(note, { childList: true, characterData: true, subtree: true });
        }"""
    )
    record_drawing(page)
    create_pod_with_form(page, pod, image=image)
    if folder := os.environ.get("PODLAB_STORY_SHOTS"):
        size = os.environ.get("PODLAB_STORY_VIEWPORT", "1280x800")
        shoot_each_step(page, pod, image, Path(folder), size)
    # A folded call is drawn without its messages, so "status: Running" may never travel:
    # then the story has been told once the pod is drawn Running and nothing travels.
    page.wait_for_function(
        """([resyncs, pod]) => window.podlab.resyncs > resyncs
            || window.drawn.some(d => d.text === 'status: Running')
            || (window.foldedNotes.length > 0
                && document.querySelector(`g.pod[data-name="${pod}"]`)
                    ?.getAttribute('aria-label')?.endsWith('Running')
                && document.querySelector('#now-playing').textContent === '')""",
        arg=[resyncs, pod],
        timeout=90_000,
    )
    if page.evaluate("window.podlab.resyncs") > resyncs:
        return None  # nothing folded: told again

    log = [d for d in drawn(page) if not d["kind"].startswith("gone")]
    missing = [step for step, index in steps_in_order(log, pod, image) if index is None]
    folded = page.evaluate("window.foldedNotes")
    assert all("folded" in note for note in folded)  # told as the page tells it
    if missing and folded:
        FOLDED_ATTEMPTS.append(pod)
        return None
    return log, missing


def test_the_whole_story_is_drawn_in_order_in_poll_mode(open_page, sandbox, alice):
    width, height = map(int, os.environ.get("PODLAB_STORY_VIEWPORT", "1280x800").split("x"))
    page = open_page(alice, f"/sandboxes/{sandbox.pk}/", viewport=(width, height))
    wait_connected(page)
    page.get_by_label("Components", exact=True).select_option("poll")
    page.wait_for_function(
        "() => document.querySelector('.diagram .scheduler .subtitle')"
        ".textContent.includes('every 5 s')"
    )
    # Very slow: the picture may trail the store by seconds, so no step is folded away.
    page.select_option("#pace", "0.25")
    attempts = [(f"web-{attempt}", image) for attempt, image in enumerate(IMAGES)]
    FOLDED_ATTEMPTS.clear()
    told = next(
        (
            (pod, image, story)
            for pod, image in attempts
            if (story := tell(page, sandbox, pod, image))
        ),
        None,
    )
    if told is None and FOLDED_ATTEMPTS:
        # A browser starved of CPU (two test processes and their stacks on two cores)
        # trails the store past Very slow's budget, and the page folds calls, as designed,
        # and says so (checked in tell). The story is not told whole there: said, not
        # passed.
        pytest.skip(f"the page folded calls to catch up in {len(FOLDED_ATTEMPTS)} attempts")
    assert told is not None, f"a resync interrupted each of {len(IMAGES)} attempts"
    pod, image, (log, missing) = told
    assert not missing, f"not drawn, or out of order: {missing}\n{[d['text'] for d in log]}"

    lights = [d["text"] for d in drawn(page) if d["kind"] == "gone stage-panel"]
    assert "authentication ✓authorization ✓admission ✓validation ✓" in lights
    # The scheduler's marks for this pod: the last drawn before its binding (on a slow
    # machine a pod of an attempt before may still be placed in this attempt's log).
    binding = next(i for i, d in enumerate(log) if d["text"].startswith(f"bind {pod} to "))
    marks = [d for d in log[:binding] if d["kind"] == "marks"][-1]
    by_node = {node: text for node, text, _ in marks["marks"]}
    assert by_node["control-plane"].startswith("✗ node(s) had untolerated taint")
    [chosen] = [node for node, text in by_node.items() if text.startswith("✓ chosen")]
    assert re.fullmatch(r"✓ chosen: score \d+", by_node[chosen])
    assert re.fullmatch(r"score \d+", by_node[({"node-1", "node-2"} - {chosen}).pop()])
    command = page.locator(".diagram .command-window text").text_content()
    assert command == f"$ kubectl run {pod} --image={image} --restart=Always"
    assert page.errors == []
