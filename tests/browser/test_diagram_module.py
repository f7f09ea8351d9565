"""The live page's JavaScript (static/js/podlab/) in Chromium, driven through a
fake WebSocket: what it draws from a snapshot and from change batches, when it
asks for a resync, its readiness flags, the timeline, the controls and replay.
No database and no server but the static harness (harness.py)."""

from __future__ import annotations

import copy
import re

import pytest

from tests.browser import cluster_data as data
from tests.browser.harness import (
    deliver,
    drawn,
    record_drawing,
    sent,
    wait_for_revision,
    wait_for_snapshots,
)

pytestmark = pytest.mark.browser

# The live page's user agent, as the API server records it (cluster/apiserver/authn.py).
PAGE_AGENT = "podlab-live-page"


def lesson_snapshot(pods=(), revision=10, **extra) -> dict:
    nodes = [
        data.node("control-plane", control_plane=True),
        data.node("node-1"),
        data.node("node-2"),
    ]
    return data.snapshot(nodes, list(pods), revision=revision, **extra)


def open_page(page, harness, snapshot, query="animations=off"):
    harness.load(page, snapshot=snapshot, query=query)
    deliver(page, snapshot)
    wait_for_snapshots(page, 1)


def pod_card(page, name):
    return page.locator(f'.diagram .pod[data-name="{name}"]')


def status_of(page, name) -> str:
    return pod_card(page, name).locator(".pod-status").text_content()


def bind_and_run(web: dict, revision: int):
    """The scheduler binds web to node-2 (at revision), then kubelet/node-2 reports it
    Running (at revision + 1)."""
    bound_event, bound = data.modified(
        web,
        revision,
        lambda pod: (
            pod["spec"].__setitem__("nodeName", "node-2"),
            pod["status"].__setitem__("conditions", [{"type": "PodScheduled", "status": "True"}]),
        ),
    )
    binding = data.changes(
        revision,
        [bound_event],
        [
            data.trace(
                "scheduler",
                "create",
                "pods",
                "web",
                revision,
                subresource="binding",
                narration="scheduler bound pod default/web to node node-2",
                second=10,
            ),
        ],
    )
    running_event, _ = data.modified(
        bound,
        revision + 1,
        lambda pod: pod["status"].update(
            phase="Running",
            containerStatuses=[
                {
                    "name": "app",
                    "image": "nginx",
                    "imageID": "",
                    "ready": True,
                    "restartCount": 0,
                    "state": {"running": {}},
                }
            ],
        ),
    )
    report = data.changes(
        revision + 1,
        [running_event],
        [
            data.trace(
                "kubelet/node-2",
                "update",
                "pods",
                "web",
                revision + 1,
                subresource="status",
                narration="kubelet/node-2 updated status of pod default/web",
                second=11,
            ),
        ],
    )
    return binding, report


def test_a_snapshot_draws_the_nodes_and_pods_with_kubectls_status_labels(page, harness):
    open_page(page, harness, data.mixed_cluster())

    workers = page.locator(".diagram .node").evaluate_all("nodes => nodes.map(n => n.dataset.node)")
    assert workers == ["node-1", "node-2", "node-3"]
    assert "control-plane" in page.locator(".diagram .fixed").text_content()
    expected = {
        "web-7d4b9": ("Running", "running"),
        "worker-crash": ("CrashLoopBackOff", "crash"),
        "cache": ("ContainerCreating", "creating"),
        "old-job": ("Completed", "succeeded"),
        "typo-image": ("ImagePullBackOff", "image"),
        "legacy": ("Terminating", "terminating"),
        "oom": ("OOMKilled", "failed"),
        "batch-1": ("Pending", "pending"),
    }
    for name, (label, kind) in expected.items():
        assert status_of(page, name) == label, name
        assert f"st-{kind}" in pod_card(page, name).get_attribute("class"), name
    assert pod_card(page, "worker-crash").locator(".pod-restarts").text_content() == "↻ 4"
    assert pod_card(page, "web-7d4b9").locator(".pod-restarts").text_content() == ""
    assert page.locator('.diagram .node[data-node="node-1"] .pod').count() == 4
    assert page.locator(".diagram .tray-pods .pod").count() == 3


def test_node_bars_sum_the_pods_requests_against_allocatable(page, harness):
    open_page(page, harness, data.mixed_cluster())

    node_1 = page.locator('.diagram .node[data-node="node-1"]')
    values = node_1.locator(".bar-value").all_text_contents()
    # 500m + 1 + 250m + 250m of 4 CPU; 256Mi + 1Gi + 128Mi + 512Mi of 8Gi
    assert values == ["2 / 4", "1.9Gi / 8Gi"]
    node_2 = page.locator('.diagram .node[data-node="node-2"]')
    assert node_2.locator(".tag").all_text_contents()[:1] == ["SchedulingDisabled"]


def test_a_batch_moves_a_pod_from_the_pending_tray_to_node_2_and_then_to_running(page, harness):
    web = data.pod("web")
    open_page(page, harness, lesson_snapshot([web], revision=10))
    assert page.locator('.diagram .tray-pods .pod[data-name="web"]').count() == 1
    assert status_of(page, "web") == "Pending"

    binding, report = bind_and_run(web, 11)
    deliver(page, binding)
    wait_for_revision(page, 11)
    assert page.locator('.diagram .tray-pods .pod[data-name="web"]').count() == 0
    assert page.locator('.diagram .node[data-node="node-2"] .pod[data-name="web"]').count() == 1
    assert status_of(page, "web") == "Pending"

    deliver(page, report)
    wait_for_revision(page, 12)
    assert status_of(page, "web") == "Running"
    assert page.locator(".diagram .etcd").text_content().endswith("revision 12")


def test_a_revision_gap_asks_for_a_resync_and_the_new_snapshot_heals_it(page, harness):
    web = data.pod("web")
    open_page(page, harness, lesson_snapshot([web], revision=10))

    binding, report = bind_and_run(web, 11)
    deliver(page, report)  # revision 12 arrives, 11 was lost
    page.wait_for_function("() => window.fakeSocket().sent.length > 0")
    assert sent(page) == [{"type": "resync"}]
    assert page.evaluate("window.podlab.revision") == 10
    assert status_of(page, "web") == "Pending"

    healed = copy.deepcopy(report["events"][0]["object"])
    deliver(page, lesson_snapshot([healed], revision=12))
    wait_for_snapshots(page, 2)
    assert page.evaluate("window.podlab.revision") == 12
    assert status_of(page, "web") == "Running"


def test_stale_batches_and_read_only_batches_do_not_resync(page, harness):
    web = data.pod("web")
    open_page(page, harness, lesson_snapshot([web], revision=10))

    stale = data.changes(9, [data.added(data.pod("ghost"), 9)], [])
    reads = data.changes(
        10,
        [],
        [
            data.trace(
                "scheduler", "list", "pods", "", 10, narration="scheduler listed pods: 1 found"
            )
        ],
    )
    deliver(page, stale)
    deliver(page, reads)
    page.wait_for_function("() => document.querySelectorAll('#timeline-list li').length === 1")
    assert sent(page) == []
    assert pod_card(page, "ghost").count() == 0


def test_readiness_flags_follow_the_connection(page, harness):
    snapshot = lesson_snapshot(revision=10)
    harness.load(page, snapshot=snapshot)
    flags = page.evaluate("window.podlab")
    assert flags["connected"] is False
    assert flags["snapshots"] == 0
    assert flags["animations"] is False

    deliver(page, snapshot)
    wait_for_snapshots(page, 1)
    flags = page.evaluate("window.podlab")
    assert flags["revision"] == 10
    assert flags["lastAppliedAt"] > 0
    assert page.evaluate("document.body.dataset.revision") == "10"
    assert page.locator("#connection").text_content().strip() == "Live"

    page.evaluate("window.fakeSocket().close(1006)")
    assert page.evaluate("window.podlab.connected") is False
    assert "Reconnecting" in page.locator("#connection").text_content()
    page.wait_for_function("() => window.fakeSockets.length === 2")
    deliver(page, lesson_snapshot(revision=11))
    wait_for_snapshots(page, 2)
    assert page.evaluate("window.podlab.revision") == 11
    assert page.locator("#connection").get_attribute("data-state") == "connected"


def test_a_refused_connection_says_offline_and_shows_the_status(page, harness):
    harness.load(page, snapshot=lesson_snapshot())
    deliver(
        page,
        {
            "type": "error",
            "status": {
                "kind": "Status",
                "code": 403,
                "reason": "Forbidden",
                "message": 'sandboxes "1" is forbidden: User "bob" cannot list resource',
            },
        },
    )
    page.evaluate("window.fakeSocket().close(4403)")

    assert page.locator("#page-error").is_visible()
    assert "403 Forbidden" in page.locator("#page-error").text_content()
    assert page.locator("#connection").get_attribute("data-state") == "offline"
    page.wait_for_timeout(700)
    assert page.evaluate("window.fakeSockets.length") == 1  # refused for good: no reconnect


def test_a_stopped_kubelet_a_notready_node_and_a_stopped_scheduler_are_drawn_down(page, harness):
    nodes = [
        data.node("control-plane", control_plane=True),
        data.node("node-1"),
        data.node("node-2", ready=False),
    ]
    components = {"scheduler": True, "kubelet/node-1": False, "kubelet/node-2": True}
    open_page(page, harness, data.snapshot(nodes, [], revision=5, components=components))

    node_1 = page.locator('.diagram .node[data-node="node-1"]')
    assert "down" in node_1.get_attribute("class")
    assert node_1.locator(".node-badge").text_content() == "DOWN"
    assert node_1.locator(".chip.stopped").text_content() == "kubelet stopped"
    node_2 = page.locator('.diagram .node[data-node="node-2"]')
    assert "down" in node_2.get_attribute("class")
    assert node_2.locator(".node-badge").text_content() == "NotReady"
    scheduler = page.locator(".diagram .component.scheduler")
    assert "down" not in scheduler.get_attribute("class")

    deliver(
        page,
        data.changes(
            5,
            [],
            [
                data.trace(
                    "student",
                    "stop",
                    "components",
                    "scheduler",
                    5,
                    narration="student stopped scheduler",
                )
            ],
        ),
    )
    page.wait_for_function(
        "() => document.querySelector('.diagram .scheduler').classList.contains('down')"
    )
    assert scheduler.locator(".down-badge").is_visible()


def test_the_timeline_lists_calls_in_order_and_shows_what_a_write_changed(page, harness):
    web = data.pod("web")
    before = [
        data.trace(
            "student",
            "create",
            "pods",
            "web",
            10,
            narration="student created pod default/web",
            second=1,
        )
    ]
    open_page(page, harness, lesson_snapshot([web], revision=10, traces=before))
    binding, report = bind_and_run(web, 11)
    deliver(page, binding)
    deliver(page, report)
    wait_for_revision(page, 12)

    items = page.locator("#timeline-list .tl-item")
    assert [text.strip() for text in items.locator(".tl-text").all_text_contents()] == [
        "student created pod default/web",
        "scheduler bound pod default/web to node node-2",
        "kubelet/node-2 updated status of pod default/web",
    ]
    assert items.locator(".tl-num").all_text_contents() == ["1", "2", "3"]
    assert items.nth(1).locator(".tl-time").text_content() == "22:28:10"
    assert items.nth(1).locator(".tl-rev").text_content() == "rev 11"

    items.nth(1).locator(".tl-summary").click()
    detail = items.nth(1).locator(".tl-detail")
    assert items.nth(1).locator(".tl-summary").get_attribute("aria-expanded") == "true"
    rows = [re.sub(r"\s+", " ", row) for row in detail.locator(".tl-diff li").all_text_contents()]
    assert 'spec.nodeName: (none) → "node-2"' in rows
    assert 'metadata.resourceVersion: "1" → "11"' in rows
    assert "authentication" in detail.locator(".tl-stages").text_content()
    assert "highlighted" in pod_card(page, "web").get_attribute("class")
    assert "highlighted" in page.locator(".diagram .scheduler").get_attribute("class")

    items.nth(0).locator(".tl-summary").click()  # a call from before the page opened
    assert "before the page opened" in items.nth(0).locator(".tl-detail").text_content()
    assert items.nth(1).locator(".tl-detail").count() == 0


def test_timeline_filters_hide_reads_heartbeats_other_callers_and_other_objects(page, harness):
    traces = [
        data.trace("student", "create", "pods", "web", 10, narration="create web"),
        data.trace("scheduler", "list", "pods", "", 10, narration="scheduler listed pods: 1 found"),
        data.trace("kubelet/node-1", "get", "pods", "db", 10, narration="kubelet read db"),
        data.trace("kubelet/node-1", "update", "leases", "node-1", 10, narration="lease renewed"),
        data.trace("kubelet/node-1", "create", "events", "web.1", 10, narration="event: Pulled"),
        data.trace(
            "student", "get", "pods", "web", 10, narration="page read web", user_agent=PAGE_AGENT
        ),
    ]
    open_page(page, harness, lesson_snapshot(revision=10, traces=traces))

    def visible():
        items = page.locator("#timeline-list .tl-item:visible .tl-text")
        return [text.strip() for text in items.all_inner_texts()]

    # By default the background is folded away: heartbeats and the page's own reads.
    story = ["create web", "scheduler listed pods: 1 found", "event: Pulled"]
    assert visible() == story
    assert page.locator("#timeline-count").text_content() == "3 of 6 calls shown"
    assert page.locator("#filter-summary").text_content() == (
        "hiding heartbeats, the page's own reads"
    )
    page.get_by_text("Filters:").click()
    page.get_by_label("heartbeats (node status, leases)").check()
    page.get_by_label("the page's own reads").check()
    assert page.locator("#filter-summary").text_content() == "showing every call"
    assert page.locator("#timeline-count").text_content() == "6 calls"
    everything = [
        "create web",
        "scheduler listed pods: 1 found",
        "kubelet read db",
        "lease renewed",
        "event: Pulled",
        "page read web",
    ]
    assert visible() == everything
    page.get_by_label("reads (get, list, watch)").uncheck()
    assert page.locator("#filter-summary").text_content() == "hiding reads"
    assert visible() == ["create web", "lease renewed", "event: Pulled"]
    # Hiding heartbeats keeps the events (Pulling, Pulled, Started): they are the story.
    page.get_by_label("heartbeats (node status, leases)").uncheck()
    assert visible() == ["create web", "event: Pulled"]
    page.get_by_label("reads (get, list, watch)").check()
    page.get_by_label("heartbeats (node status, leases)").check()
    page.get_by_role("checkbox", name="scheduler", exact=True).uncheck()
    assert visible() == everything[:1] + everything[2:]
    page.get_by_role("checkbox", name="scheduler", exact=True).check()
    page.get_by_placeholder("name").fill("db")
    assert visible() == ["kubelet read db"]
    assert page.locator("#filter-summary").text_content() == 'hiding names without "db"'


def test_clicking_a_pod_a_node_or_etcd_opens_its_panel(page, harness):
    open_page(page, harness, lesson_snapshot([data.running("web", "node-1")]))

    pod_card(page, "web").click()
    page.wait_for_selector("#panel .fixture-panel")
    assert page.locator("#panel").text_content() == "panel pods/default/web/"
    page.locator('.diagram .node[data-node="node-2"] .node-head').focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#panel').textContent === 'panel nodes/node-2/'"
    )
    page.locator(".diagram .etcd").click()
    page.wait_for_function("() => document.querySelector('#panel').textContent === 'panel etcd/'")
    page.get_by_role("button", name="Create pod").click()
    page.wait_for_function(
        "() => document.querySelector('#panel').textContent === 'panel pods/new/'"
    )
    assert harness.panel_gets[-4:] == [
        "/sandboxes/1/pods/default/web/",
        "/sandboxes/1/nodes/node-2/",
        "/sandboxes/1/etcd/",
        "/sandboxes/1/pods/new/",
    ]
    page.get_by_role("button", name="Close details").click()
    assert not page.locator("#panel").is_visible()


def test_clock_controls_post_with_the_csrf_token_and_show_the_clock_state(page, harness):
    open_page(page, harness, lesson_snapshot())
    assert page.locator("#clock-state").text_content() == "Running ×1"

    page.get_by_role("button", name="Pause").click()
    page.wait_for_function("() => document.querySelector('#clock-state').textContent === 'Paused'")
    page.get_by_label("Speed").select_option("5")
    page.wait_for_function(
        "() => document.querySelectorAll('#clock-state').length && window.podlab"
    )
    page.wait_for_timeout(200)
    assert [post["path"] for post in harness.posts] == [
        "/sandboxes/1/clock/pause/",
        "/sandboxes/1/clock/speed/",
    ]
    assert harness.posts[1]["body"] == "speed=5"
    assert all(post["csrf"] for post in harness.posts)
    assert page.get_by_role("button", name="Pause").get_attribute("aria-pressed") == "true"

    harness.post_answer = b'{"paused": false, "speed": 2, "now": "2026-11-26T23:00:00+00:00"}'
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "() => document.querySelector('#clock-state').textContent === 'Running ×2'"
    )
    assert page.locator("#clock-time").text_content() >= "23:00:00"


def test_replay_scrubs_back_buffers_live_batches_and_returns_to_live(page, harness):
    web = data.pod("web")
    open_page(page, harness, lesson_snapshot([web], revision=10))
    binding, report = bind_and_run(web, 11)
    deliver(page, binding)
    wait_for_revision(page, 11)

    slider = page.locator("#replay")
    slider.focus()
    page.keyboard.press("Home")
    page.wait_for_function("() => window.podlab.replaying === 10")
    assert page.locator('.diagram .tray-pods .pod[data-name="web"]').count() == 1
    assert "Replay: revision 10 of 11" in page.locator("#replay-label").text_content()

    deliver(page, report)  # arrives while replaying: kept, not drawn
    page.wait_for_function(
        "() => document.querySelector('#replay-label').textContent.includes('of 12')"
    )
    assert status_of(page, "web") == "Pending"
    assert page.evaluate("window.podlab.revision") == 11

    page.get_by_role("button", name="Back to live").click()
    wait_for_revision(page, 12)
    assert page.evaluate("window.podlab.replaying") is None
    assert status_of(page, "web") == "Running"
    assert page.locator('.diagram .node[data-node="node-2"] .pod[data-name="web"]').count() == 1


def test_with_animations_on_a_write_travels_to_etcd_before_the_picture_changes(page, harness):
    snapshot = lesson_snapshot(revision=10)
    harness.load(page, snapshot=snapshot, query="")
    page.select_option("#pace", "4")  # "very fast"
    deliver(page, snapshot)
    wait_for_snapshots(page, 1)
    assert page.evaluate("window.podlab.animations") is True

    web = data.pod("web")
    deliver(
        page,
        data.changes(
            11,
            [data.added(web, 11)],
            [
                data.trace(
                    "student",
                    "create",
                    "pods",
                    "web",
                    11,
                    narration="student created pod default/web",
                ),
            ],
        ),
    )
    page.wait_for_selector(".diagram .msg-pill")
    labels = page.locator(".diagram .msg-pill text").all_text_contents()
    assert labels == ["create pod web"]
    assert pod_card(page, "web").count() == 0  # not in etcd yet
    page.wait_for_function(
        "() => [...document.querySelectorAll('.diagram .msg-pill text')]"
        ".some(text => text.textContent === 'store pod web')"
    )
    wait_for_revision(page, 11)
    assert pod_card(page, "web").count() == 1
    page.wait_for_function("() => !document.querySelector('.diagram .msg-pill')")


def test_a_refused_call_stops_at_the_api_server_with_its_reason(page, harness):
    snapshot = lesson_snapshot(revision=10)
    harness.load(page, snapshot=snapshot, query="")
    page.select_option("#pace", "4")  # "very fast"
    deliver(page, snapshot)
    wait_for_snapshots(page, 1)
    record_drawing(page)

    deliver(
        page,
        data.changes(
            10,
            [],
            [
                data.trace(
                    "student",
                    "delete",
                    "pods",
                    "db",
                    10,
                    code=403,
                    reason="Forbidden",
                    narration="refused",
                ),
            ],
        ),
    )
    page.wait_for_function("() => window.drawn.some(d => d.kind === 'msg msg-stop')")
    [stop] = [d["text"] for d in drawn(page) if d["kind"] == "msg msg-stop"]
    assert stop.startswith("refused: 403 Forbidden")
    assert "failed" in page.locator("#timeline-list .tl-item").get_attribute("class")


def test_quantities_and_statuses_are_computed_like_kubernetes(page, harness):
    harness.load(page, snapshot=lesson_snapshot())
    results = page.evaluate("""async () => {
        const q = await import('/static/js/podlab/quantity.js');
        const s = await import('/static/js/podlab/status.js');
        const d = await import('/static/js/podlab/diff.js');
        return {
            cpu: ['500m', '2', '0.1', '1.5', '0.0001', '1e3', 'nonsense'].map(q.cpuMillis),
            memory: ['128Mi', '4Gi', '1G', '1.5Ki', '100m'].map(q.memoryBytes),
            formats: [q.formatCpu(300), q.formatCpu(2000), q.formatCpu(1500),
                      q.formatMemory(1610612736)],
            exitCode: s.podStatus({status: {phase: 'Running', containerStatuses: [
                {state: {terminated: {exitCode: 2}}}]}}).label,
            nodeLost: s.podStatus({metadata: {deletionTimestamp: 'x'},
                                   status: {reason: 'NodeLost'}}).label,
            cordoned: s.nodeStatus({spec: {unschedulable: true}, status: {conditions: [
                {type: 'Ready', status: 'True'}]}}).label,
            diff: d.diffObjects(
                {status: {conditions: [{type: 'Ready', status: 'False'},
                                       {type: 'PodScheduled', status: 'True'}]}},
                {status: {conditions: [{type: 'PodScheduled', status: 'True'},
                                       {type: 'Ready', status: 'True'}]}}),
        };
    }""")
    assert results["cpu"] == [500, 2000, 100, 1500, 1, 1000000, 0]
    assert results["memory"] == [134217728, 4294967296, 1000000000, 1536, 1]
    assert results["formats"] == ["300m", "2", "1.5", "1.5Gi"]
    assert results["exitCode"] == "ExitCode:2"
    assert results["nodeLost"] == "Unknown"
    assert results["cordoned"] == "Ready,SchedulingDisabled"
    assert results["diff"] == [
        {"path": "status.conditions[type=Ready].status", "before": "False", "after": "True"},
    ]


def test_the_page_is_usable_from_the_keyboard(page, harness):
    open_page(page, harness, lesson_snapshot([data.running("web", "node-1")]))

    page.locator(".skip-link").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "timeline-title"
    page.keyboard.press("Shift+Tab")  # keyboard focus, so :focus-visible applies
    pod_card(page, "web").focus()
    ring = page.locator(".diagram .focus-ring")
    assert ring.get_attribute("visibility") == "visible"
    card = pod_card(page, "web").locator(".card").bounding_box()
    halo = ring.locator(".focus-halo").bounding_box()
    assert halo["x"] < card["x"] and halo["x"] + halo["width"] > card["x"] + card["width"]
    page.keyboard.press(" ")
    page.wait_for_selector("#panel .fixture-panel")


def test_calls_travel_the_way_the_lesson_tells_it(page, harness):
    harness.load(page, snapshot=lesson_snapshot())
    routes = page.evaluate("""async () => {
        const { traceHops } = await import('/static/js/podlab/routes.js');
        const call = (actor, verb, resource, extra = {}) => ({
            actor, verb, resource, subresource: '', namespace: 'default', name: 'web', code: 200,
            reason: '', narration: '', ...extra });
        const bound = { spec: { nodeName: 'node-2' }, status: { phase: 'Pending' } };
        const hops = (trace, context) =>
            traceHops(trace, context).map(h => `${h.from}>${h.to}: ${h.label}`);
        return {
            create: hops(call('student', 'create', 'pods', { code: 201 })),
            poll: hops(call('scheduler', 'list', 'pods',
                            { name: '', narration: 'scheduler listed pods: 1 found' })),
            bind: hops(call('scheduler', 'create', 'pods', { subresource: 'binding', code: 201 }),
                       { object: bound }),
            report: hops(call('kubelet/node-2', 'update', 'pods', { subresource: 'status' }),
                         { object: { spec: { nodeName: 'node-2' },
                                     status: { phase: 'Running' } } }),
            refused: hops(call('student', 'delete', 'pods', { code: 403, reason: 'Forbidden' })),
            crash: hops(call('student', 'crash', 'pods'), { podNode: () => 'node-2' }),
            replace: hops(call('controller-manager/replicaset', 'create', 'pods', { code: 201 })),
            dryRun: hops(call('student', 'create', 'pods', { code: 201, stages: [
                { stage: 'etcd', ok: true, detail: 'dry run: nothing was stored' }] })),
            collection: hops(call('student', 'deletecollection', 'pods', { name: '',
                narration: 'alice listed pods in default matching app=web: 2 found' })),
        };
    }""")
    assert routes["create"] == [
        "user>apiserver: create pod web",
        "apiserver>etcd: store pod web",
        "apiserver>user: 201 Created",
    ]
    assert routes["poll"] == ["scheduler>apiserver: list pods", "apiserver>scheduler: 1 found"]
    assert routes["bind"] == [
        "scheduler>apiserver: bind web to node-2",
        "apiserver>etcd: store binding web → node-2",
        "apiserver>kubelet:node-2: watch: run web",
    ]
    assert routes["report"] == [
        "kubelet:node-2>runtime:node-2: CRI: how is web?",
        "kubelet:node-2>apiserver: status: Running",
        "apiserver>etcd: store pod web",
    ]
    assert routes["refused"] == [
        "user>apiserver: delete pod web",
        "apiserver>apiserver: 403 Forbidden",
    ]
    assert routes["crash"] == ["user>runtime:node-2: ⚡ crash web"]
    assert routes["replace"] == [
        "controller-manager>apiserver: create pod web",
        "apiserver>etcd: store pod web",
    ]
    # A server dry run passes the stages and goes no further: nothing reaches etcd.
    assert routes["dryRun"] == [
        "user>apiserver: create pod web",
        "apiserver>user: dry run: nothing stored",
    ]
    assert routes["collection"] == [
        "user>apiserver: deletecollection pods",
        "apiserver>user: 2 found",
    ]


def test_the_timeline_follows_the_newest_call_until_the_student_scrolls_up(page, harness):
    reads = [
        data.trace("student", "get", "pods", "web", 10, narration=f"read {i}") for i in range(30)
    ]
    open_page(page, harness, lesson_snapshot([data.running("web", "node-1")], traces=reads))

    def newest_in_view() -> bool:
        return page.evaluate("""() => {
            const list = document.querySelector('#timeline-list');
            const last = list.lastElementChild.getBoundingClientRect();
            return last.bottom <= list.getBoundingClientRect().bottom + 1;
        }""")

    def more(text):
        deliver(
            page,
            data.changes(10, [], [data.trace("student", "get", "pods", "web", 10, narration=text)]),
        )
        page.wait_for_function(
            "t => document.querySelector('#timeline-list').lastElementChild"
            ".textContent.includes(t)",
            arg=text,
        )
        page.wait_for_timeout(100)

    pod_card(page, "web").click()  # the panel opens above the timeline and shrinks it
    page.wait_for_selector("#panel .fixture-panel")
    more("after the panel opened")
    assert newest_in_view()

    page.locator("#timeline-list").evaluate("list => list.scrollBy(0, -300)")
    page.wait_for_timeout(100)
    more("while scrolled up")
    assert not newest_in_view()
    assert page.locator("#timeline-jump").text_content() == "↓ 1 newer"
    page.locator("#timeline-jump").click()
    page.wait_for_timeout(100)
    assert newest_in_view()


def test_replay_reaches_back_before_the_page_opened_through_the_history_endpoint(page, harness):
    """The page opened at revision 20; the server's history holds a pod that was
    created at 5 and deleted at 8, and web's way to Running (12 to 14)."""
    old = data.pod("old")
    web = data.pod("web")
    bound_event, bound = data.modified(
        web, 13, lambda pod: pod["spec"].__setitem__("nodeName", "node-2")
    )
    running_event, running = data.modified(
        bound, 14, lambda pod: pod.__setitem__("status", data.running("web", "node-2")["status"])
    )
    deleted = {**data.added(old, 8), "type": "DELETED", "previous": data.added(old, 5)["object"]}
    history_traces = [
        data.trace("student", "create", "pods", "old", 5),
        data.trace("student", "delete", "pods", "old", 8),
        data.trace("student", "create", "pods", "web", 12),
    ]
    snapshot = lesson_snapshot(
        [running], revision=20, traces=[data.trace("student", "list", "pods", "", 20)]
    )
    harness.history_pages[20] = {
        "revision": 20,
        "oldest": 1,
        "from": 1,
        "to": 20,
        "more": False,
        "events": [data.added(old, 5), deleted, data.added(web, 12), bound_event, running_event],
        "traces": history_traces,
    }
    open_page(page, harness, snapshot)
    assert page.evaluate("window.podlab.backfill") == "idle"

    slider = page.locator("#replay")
    slider.focus()
    page.wait_for_function("() => window.podlab.backfill === 'complete'")
    assert harness.history_gets == ["/sandboxes/1/history/?to=20&revisions=500"]
    assert page.evaluate("window.podlab.oldest") == 1
    assert "back to revision 1" in page.locator("#history-reach").text_content()

    page.keyboard.press("Home")
    page.wait_for_function("() => window.podlab.replaying === 1")
    assert page.locator(".diagram .pod").count() == 0
    for _ in range(4):  # every revision is a position: 2, 3, 4, 5
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.podlab.replaying === 5")
    assert page.locator('.diagram .tray-pods .pod[data-name="old"]').count() == 1
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.podlab.replaying === 8")
    assert pod_card(page, "old").count() == 0
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.podlab.replaying === 13")
    assert page.locator('.diagram .node[data-node="node-2"] .pod[data-name="web"]').count() == 1

    numbers = page.locator("#timeline-list .tl-num").all_text_contents()
    assert numbers == ["1", "2", "3", "4"]
    texts = page.locator("#timeline-list .tl-text").all_text_contents()
    assert "create pods old" in texts[0]
    page.get_by_role("button", name="Back to live").click()
    page.wait_for_function("() => window.podlab.replaying === null")
    assert status_of(page, "web") == "Running"


def test_a_snapshot_in_parts_is_drawn_once_its_last_part_came(page, harness):
    first, second = data.running("first", "node-1"), data.running("second", "node-2")
    snapshot = lesson_snapshot([first], revision=30)
    harness.load(page, snapshot=lesson_snapshot(revision=1))
    deliver(page, {**snapshot, "parts": 2})
    page.wait_for_timeout(100)
    assert page.evaluate("window.podlab.connected") is False
    deliver(page, {"type": "snapshot-part", "revision": 30, "pods": [second]})
    wait_for_snapshots(page, 1)
    assert page.evaluate("window.podlab.revision") == 30
    assert status_of(page, "first") == "Running"
    assert status_of(page, "second") == "Running"


def test_an_open_pod_panel_follows_its_pod_until_it_is_deleted(page, harness):
    web, db = data.running("web", "node-1"), data.running("db", "node-2")
    open_page(page, harness, lesson_snapshot([web, db]))
    pod_card(page, "web").click()
    page.wait_for_selector("#panel .fixture-panel")
    gets = lambda: harness.panel_gets.count("/sandboxes/1/pods/default/web/")  # noqa: E731
    assert gets() == 1

    other, _ = data.modified(db, 11, lambda pod: pod["metadata"].update(labels={"tier": "db"}))
    deliver(page, data.changes(11, [other], []))
    wait_for_revision(page, 11)
    # Two changes to web in quick succession: one request for both.
    first, web = data.modified(web, 12, lambda pod: pod["metadata"].update(labels={"v": "1"}))
    second, web = data.modified(web, 13, lambda pod: pod["metadata"].update(labels={"v": "2"}))
    deliver(page, data.changes(12, [first], []))
    deliver(page, data.changes(13, [second], []))
    wait_for_revision(page, 13)
    page.wait_for_timeout(1000)  # longer than the panel's wait: any extra request is made
    assert gets() == 2

    deleted = {**data.added(web, 14), "type": "DELETED", "previous": web}
    deliver(page, data.changes(14, [deleted], []))
    page.wait_for_function(
        "() => document.querySelector('#panel h2')?.textContent === 'Pod default/web is gone'"
    )
    assert "deleted it from etcd at revision 14" in page.locator("#panel").text_content()
    assert gets() == 2


def test_a_clock_control_seen_while_the_clock_is_being_asked_for_asks_once_more(page, harness):
    """Another tab sets the speed, then presses Play: the page asks the clock after the
    first trace, and the Play may come after the server answered that; so the page
    must ask again, or it stays "Paused" at the new speed."""
    open_page(page, harness, lesson_snapshot(paused=True))
    held = []
    page.route("**/sandboxes/1/clock/", lambda route: held.append(route))

    def wait_asked(times: int) -> None:
        for _ in range(100):
            if len(held) >= times:
                return
            page.wait_for_timeout(20)
        raise AssertionError(f"the page asked the clock {len(held)} times, not {times}")

    deliver(page, data.changes(10, [], [data.trace("bob", "speed", "components", "clock", 10)]))
    wait_asked(1)
    deliver(page, data.changes(10, [], [data.trace("bob", "resume", "components", "clock", 10)]))
    page.wait_for_timeout(100)
    assert len(held) == 1  # one request at a time

    held[0].fulfill(json={"paused": True, "speed": 5, "now": "2026-11-26T23:00:00+00:00"})
    wait_asked(2)
    held[1].fulfill(json={"paused": False, "speed": 5, "now": "2026-11-26T23:00:01+00:00"})
    page.wait_for_function(
        "() => document.querySelector('#clock-state').textContent === 'Running ×5'"
    )


def test_after_a_resync_an_open_panel_asks_again_or_says_its_pod_is_gone(page, harness):
    web, db = data.running("web", "node-1"), data.running("db", "node-2")
    open_page(page, harness, lesson_snapshot([web, db]))
    gets = lambda name: harness.panel_gets.count(f"/sandboxes/1/pods/default/{name}/")  # noqa: E731
    pod_card(page, "web").click()
    page.wait_for_selector("#panel .fixture-panel")

    # A snapshot after a gap: web is still there, so its panel asks again.
    deliver(page, lesson_snapshot([web, db], revision=20))
    wait_for_snapshots(page, 2)
    page.wait_for_timeout(1000)  # longer than the panel's wait
    assert gets("web") == 2

    # Another, without web: the changes that deleted it were lost, the panel says so.
    deliver(page, lesson_snapshot([db], revision=30))
    wait_for_snapshots(page, 3)
    page.wait_for_function(
        "() => document.querySelector('#panel h2')?.textContent === 'Pod default/web is gone'"
    )
    assert "not in etcd at revision 30" in page.locator("#panel").text_content()
