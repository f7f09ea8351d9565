"""What both browsers' tests check of the lesson's story, whichever browser drives the page."""

from __future__ import annotations

import re

# The timeline's narrations of the lesson's steps, in the order the lesson tells them.
LESSON_STEPS = (
    r"alice created pod default/web",
    r"scheduler bound pod default/web to node node-\d",
    r"kubelet/node-\d reported the status of pod default/web \(Pending\)",
    r"kubelet/node-\d reported the status of pod default/web \(Running\)",
)

# A pod's card says its status in its label, as kubectl's STATUS column: "web: Running".
POD_SHOWS_STATUS_JS = """(name, status) => {
    const card = document.querySelector(`g.pod[data-name="${name}"]`);
    return Boolean(card) && (card.getAttribute('aria-label') || '').includes(': ' + status);
}"""

TIMELINE_TEXTS_JS = "[...document.querySelectorAll('#timeline-list li')].map((li) => li.innerText)"


def assert_lesson_steps_in_order(texts: list[str]) -> None:
    """Each step of the lesson is in the timeline, and its first mention comes after the
    previous step's."""
    firsts = [
        next((i for i, text in enumerate(texts) if re.search(step, text)), None)
        for step in LESSON_STEPS
    ]
    missing = [step for step, first in zip(LESSON_STEPS, firsts, strict=True) if first is None]
    assert not missing, f"the timeline does not tell: {missing}"
    assert firsts == sorted(firsts), f"the steps came in this order: {firsts}"
