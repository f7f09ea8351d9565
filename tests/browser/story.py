"""The story's steps caught on the diagram mid-animation, for docs/ (screenshots.py --story):
the API server's stage lights with the kubectl command, the scheduler's filter marks
and scores, and a kubelet's PullImage to containerd. Static harness, fake WebSocket."""

from __future__ import annotations

from pathlib import Path

from tests.browser import cluster_data as data
from tests.browser.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    FAKE_SOCKET_JS,
    Harness,
    deliver,
    start_server,
    wait_for_snapshots,
)
from tests.browser.test_story_steps import CREATE_STAGES, kubelet_event

SIZES = [(1280, 800), (390, 844)]
FOUND_FOR_WEB = {
    "type": "scheduling",
    "pod": {"namespace": "default", "name": "web", "uid": "uid-web"},
    "node": "node-3",
    "message": "",
    "feasible_nodes": 2,
    "nodes": [
        {
            "name": "control-plane",
            "feasible": False,
            "plugin": "TaintToleration",
            "reason": "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
            "score": 0,
        },
        {
            "name": "node-1",
            "feasible": False,
            "plugin": "NodeUnschedulable",
            "reason": "node(s) were unschedulable",
            "score": 0,
        },
        {"name": "node-2", "feasible": True, "plugin": "", "reason": "", "score": 131},
        {"name": "node-3", "feasible": True, "plugin": "", "reason": "", "score": 187},
    ],
}


def cluster(pods: list[dict]) -> dict:
    nodes = [
        data.node("control-plane", control_plane=True),
        data.node("node-1", unschedulable=True),
        data.node("node-2"),
        data.node("node-3"),
    ]
    return data.snapshot(nodes, pods, revision=10)


def stages(page) -> None:
    create = data.trace("student", "create", "pods", "web", 11)
    create["stages"] = CREATE_STAGES
    create["command"] = "kubectl run web --image=nginx:1.27.3 --restart=Always"
    deliver(page, data.changes(11, [data.added(data.pod("web"), 11)], [create]))
    page.wait_for_selector(
        ".diagram .stage-passed[data-stage=admission]", state="attached", timeout=20_000
    )


def filter_scores(page) -> None:
    deliver(page, FOUND_FOR_WEB)
    page.wait_for_selector(".diagram .marks", state="attached", timeout=20_000)
    page.wait_for_timeout(600)


def cri_pull(page) -> None:
    deliver(page, kubelet_event(11, "Pulling", 'Pulling image "nginx:1.27.3"'))
    page.wait_for_function(
        "() => [...document.querySelectorAll('.diagram .msg-pill text')]"
        ".some(text => text.textContent.startsWith('PullImage'))",
        timeout=30_000,
    )
    page.wait_for_timeout(1800)


STEPS = {
    "apiserver-stages": (lambda: cluster([]), stages),
    "filter-scores": (
        lambda: cluster([data.pod("web"), data.running("db", "node-2")]),
        filter_scores,
    ),
    "cri-pull": (lambda: cluster([data.running("web", "node-2")]), cri_pull),
}


def shoot_story(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    harness = Harness()
    server = start_server(harness)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width, height in SIZES:
            for name, (snapshot, play) in STEPS.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                context.add_init_script(path=str(FAKE_SOCKET_JS))
                page = context.new_page()
                drawn_first = snapshot()
                harness.load(page, snapshot=drawn_first, query="")
                page.select_option("#pace", "0.25")
                deliver(page, drawn_first)
                wait_for_snapshots(page, 1)
                play(page)
                path = out / f"story-{name}-{width}x{height}.png"
                target = page.locator("#diagram") if width < 600 else page
                target.screenshot(path=str(path))
                print(path)
                context.close()
        browser.close()
    server.shutdown()
