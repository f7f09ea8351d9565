"""Screenshots of the live page in the static harness, for docs/ and for looking.

    .venv/bin/python -m tests.browser.screenshots --snapshot /tmp/podlab-snapshot.json --out docs

Writes diagram-lesson-<size>.png (the given snapshot, or the mixed cluster
when none is given) and diagram-mixed-<size>.png at 1280x800 and 1920x1080, and
workloads-<size>.png (a Deployment mid-rollout, the ReplicaSet controller just
acted) at 1280x800 and on a phone, 390x844.
The story's steps, docs/story-*.png, come from the real stack: see
tests/e2e/test_story_on_diagram.py.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

SIZES = [(1280, 800), (1920, 1080)]
WORKLOAD_SIZES = [(1280, 800), (390, 844)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--snapshot", type=Path, help="a snapshot message (JSON) to draw as 'lesson'"
    )
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument(
        "--open", type=int, default=0, help="open the timeline's n-th item (1 = first)"
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    import django

    django.setup()
    from playwright.sync_api import sync_playwright

    from tests.browser import cluster_data
    from tests.browser.harness import (
        CHROMIUM,
        CHROMIUM_ARGS,
        FAKE_SOCKET_JS,
        Harness,
        deliver,
        start_server,
        wait_for_snapshots,
    )

    scenes = {"mixed": cluster_data.mixed_cluster()}
    if args.snapshot:
        scenes["lesson"] = json.loads(args.snapshot.read_text())
    harness = Harness()
    server = start_server(harness)
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, snapshot in scenes.items():
            for width, height in SIZES:
                context = browser.new_context(viewport={"width": width, "height": height})
                context.add_init_script(path=str(FAKE_SOCKET_JS))
                page = context.new_page()
                harness.load(page, snapshot=snapshot)
                deliver(page, snapshot)
                wait_for_snapshots(page, 1)
                items = page.locator("#timeline-list .tl-item .tl-summary")
                if args.open and items.count() >= args.open:
                    items.nth(args.open - 1).click()
                page.wait_for_timeout(300)
                path = args.out / f"diagram-{name}-{width}x{height}.png"
                page.screenshot(path=str(path))
                print(path)
                context.close()
        for width, height in WORKLOAD_SIZES:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.add_init_script(path=str(FAKE_SOCKET_JS))
            page = context.new_page()
            snapshot, acted = cluster_data.rollout_scene()
            harness.load(page, snapshot=snapshot)
            deliver(page, snapshot)
            wait_for_snapshots(page, 1)
            deliver(page, acted)
            page.wait_for_function("r => window.podlab.revision === r", arg=acted["revision"])
            if width < 600:  # a phone: the page's controls come first, the workloads below
                area = page.locator(".diagram .workloads-area")
                area.evaluate("element => element.scrollIntoView({ block: 'center' })")
            page.wait_for_timeout(300)
            path = args.out / f"workloads-{width}x{height}.png"
            page.screenshot(path=str(path))
            print(path)
            context.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
