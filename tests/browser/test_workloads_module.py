"""The live page's workloads in Chromium, through the fake WebSocket: the state keeps
Deployments, ReplicaSets, ReplicationControllers, Services and EndpointSlices from the
snapshot, the change batches and history replay; the diagram's Workloads area groups
pods under their owners with desired against current; the controller manager's box
says which controller acted last; kube-proxy and node faults land on the right parts."""

from __future__ import annotations

import copy

import pytest

from tests.browser import cluster_data as data
from tests.browser.harness import deliver, wait_for_revision, wait_for_snapshots

pytestmark = pytest.mark.browser

RS_NARRATION = (
    "controller-manager/replicaset: replicaset default/web-5c8f6 wants 3, sees 2: creating 1; "
    "created pod default/web-5c8f6-m2v8k: the API server stored /registry/pods/default/"
    "web-5c8f6-m2v8k in etcd at revision 61"
)


def open_page(page, harness, snapshot=None, *, width=1280, height=800):
    page.set_viewport_size({"width": width, "height": height})
    snapshot = snapshot or data.rollout_cluster()
    harness.load(page, snapshot=snapshot)
    deliver(page, snapshot)
    wait_for_snapshots(page, 1)
    return snapshot


def workload(page, name, resource=""):
    kind = f'[data-resource="{resource}"]' if resource else ""
    return page.locator(f'.diagram .workload[data-name="{name}"]{kind}')


def badge(page, name, resource="") -> tuple[str, str]:
    """A workload's own count badge: its words, and settled or converging."""
    count = workload(page, name, resource).locator(":scope > .count")
    return count.locator(".count-text").text_content(), count.get_attribute("class").split()[-1]


def find(snapshot, resource, name):
    return next(item for item in snapshot[resource] if item["metadata"]["name"] == name)


def replacement_pod(snapshot) -> dict:
    """The pod the ReplicaSet controller creates for web-5c8f6, Running and Ready."""
    new = find(snapshot, "replicasets", "web-5c8f6")
    return data.owned(data.running("web-5c8f6-m2v8k", "node-2", created=8), new)


def test_store_keys_of_the_workload_kinds_parse_as_upstream_lays_them_out(page, harness):
    open_page(page, harness, data.snapshot([], []))
    parsed = page.evaluate("""async () => {
        const { objectKey, parseKey } = await import('/static/js/podlab/state.js');
        const keys = ['services/specs/default/web', 'controllers/default/legacy',
                      'services/endpoints/default/web', 'replicasets/default/web-5c8f6',
                      'endpointslices/default/web-abcde', 'pods/default/web', 'minions/node-1'];
        const meta = { metadata: { namespace: 'default', name: 'web' } };
        return {
            parsed: keys.map((key) => parseKey(`/registry/${key}`)),
            keys: ['services', 'replicationcontrollers', 'deployments', 'pods'].map(
                (resource) => objectKey(resource, meta)),
        };
    }""")
    assert [(p["resource"], p["namespace"], p["name"]) for p in parsed["parsed"]] == [
        ("services", "default", "web"),
        ("replicationcontrollers", "default", "legacy"),
        ("endpoints", "default", "web"),
        ("replicasets", "default", "web-5c8f6"),
        ("endpointslices", "default", "web-abcde"),
        ("pods", "default", "web"),
        ("nodes", "", "node-1"),
    ]
    assert parsed["keys"] == [
        "/registry/services/specs/default/web",
        "/registry/controllers/default/web",
        "/registry/deployments/default/web",
        "/registry/pods/default/web",
    ]


def test_the_state_keeps_workloads_from_the_snapshot_events_and_takes_them_back(page, harness):
    snapshot = open_page(page, harness)
    web_svc = find(snapshot, "services", "web")
    legacy = find(snapshot, "replicationcontrollers", "legacy")
    scaled = copy.deepcopy(legacy)
    scaled["spec"]["replicas"] = 5
    api = data.service("api", cluster_ip="10.96.0.20")
    events = [
        data.event("ADDED", api, 61),
        data.event("MODIFIED", scaled, 62, previous=legacy),
        data.event("DELETED", None, 63, previous=web_svc),
    ]
    result = page.evaluate(
        """async ({ snapshot, events }) => {
        const { ClusterState } = await import('/static/js/podlab/state.js');
        const legacy = (state) =>
            state.replicationcontrollers.get('/registry/controllers/default/legacy').spec.replicas;
        const sizes = (state) => Object.fromEntries(
            ['deployments', 'replicasets', 'replicationcontrollers', 'services', 'endpointslices']
                .map((resource) => [resource, state[resource].size]));
        const state = ClusterState.fromSnapshot(snapshot);
        const before = sizes(state);
        for (const event of events) state.applyEvent(event);
        const after = {
            services: [...state.services.keys()].sort(),
            legacy: legacy(state),
        };
        for (const event of [...events].reverse()) state.undoEvent(event);
        return {
            before,
            after,
            undone: [...state.services.keys()].sort(),
            legacy: legacy(state),
        };
    }""",
        {"snapshot": snapshot, "events": events},
    )
    assert result["before"] == {
        "deployments": 1,
        "replicasets": 4,
        "replicationcontrollers": 1,
        "services": 2,
        "endpointslices": 2,
    }
    assert result["after"] == {
        "services": [
            "/registry/services/specs/default/api",
            "/registry/services/specs/default/kubernetes",
        ],
        "legacy": 5,
    }
    assert result["undone"] == [
        "/registry/services/specs/default/kubernetes",
        "/registry/services/specs/default/web",
    ]
    assert result["legacy"] == 2


def test_the_workloads_area_groups_replicasets_under_their_deployment_with_counts(page, harness):
    open_page(page, harness)

    area = page.locator(".diagram .workloads-area")
    assert area.locator(".section-title").text_content().startswith("Workloads (5)")
    web = workload(page, "web", "deployments")
    assert web.locator(".workload-title").text_content() == "deployment web"
    # The rollout's two ReplicaSets side by side, oldest first; the scaled-down one counted.
    cards = web.locator(".workload.set")
    assert cards.evaluate_all("cards => cards.map(c => c.dataset.name)") == [
        "web-7d4b9",
        "web-5c8f6",
    ]
    assert web.locator(".workload-older").text_content() == "+1 older"
    assert workload(page, "web-5c8f6").locator(".workload-name").text_content() == (
        "web-5c8f6 · rev 3"
    )
    assert workload(page, "web-5c8f6").locator(".workload-image").text_content() == "nginx:1.27.3"
    assert workload(page, "web-5c8f6").get_attribute("aria-label") == (
        "ReplicaSet default/web-5c8f6: web-5c8f6 · rev 3 · nginx:1.27.3 · 2 of 3"
    )
    # Desired against current: caught up, short of pods, all there but not all ready.
    assert badge(page, "web-7d4b9") == ("1/1 ready", "settled")
    assert badge(page, "web-5c8f6") == ("2 of 3", "converging")
    assert badge(page, "web", "deployments") == ("2/3 ready", "converging")
    assert badge(page, "cache-6b7f9") == ("2/2 ready", "settled")
    assert workload(page, "cache-6b7f9").locator(".workload-name").text_content() == (
        "rs cache-6b7f9"
    )
    assert badge(page, "legacy") == ("1 of 2", "converging")
    assert workload(page, "legacy").locator(".workload-name").text_content() == "rc legacy"
    # A dot per pod, by its status.
    dots = workload(page, "web-5c8f6").locator(".pod-dot")
    assert dots.evaluate_all("dots => dots.map(d => d.getAttribute('class'))") == [
        "pod-dot st-running",
        "pod-dot st-creating",
    ]
    # Services: ClusterIP:port and the ready endpoints of their EndpointSlices.
    assert workload(page, "web", "services").locator(".workload-endpoints").text_content() == (
        "10.96.0.12:80 → 2 endpoints (1 not ready)"
    )
    assert workload(page, "kubernetes").locator(".workload-endpoints").text_content() == (
        "10.96.0.1:443 → 1 endpoint"
    )


def test_a_pod_card_names_its_owner_and_a_bare_pod_names_none(page, harness):
    open_page(page, harness)

    def owner(name):
        return page.locator(f'.diagram .pod[data-name="{name}"] .pod-owner').text_content()

    assert owner("web-5c8f6-x2x7q") == "rs web-5c8f6"
    assert owner("legacy-9tq4c") == "rc legacy"
    assert owner("debug") == ""
    title = page.locator('.diagram .pod[data-name="cache-6b7f9-8zq2w"] title').text_content()
    assert "owned by rs cache-6b7f9" in title


def test_a_scale_up_turns_2_of_3_into_3_of_3_as_the_replacement_becomes_ready(page, harness):
    snapshot = open_page(page, harness)
    new = replacement_pod(snapshot)
    creating = next(p for p in snapshot["pods"] if p["metadata"]["name"] == "web-5c8f6-r8m4d")
    started, ready = data.modified(
        creating,
        62,
        lambda pod: (
            pod["status"].update(
                phase="Running",
                containerStatuses=[
                    {
                        "name": "app",
                        "image": "nginx:1.27.3",
                        "imageID": "",
                        "ready": True,
                        "restartCount": 0,
                        "state": {"running": {}},
                    }
                ],
            ),
            pod["status"]["conditions"][-1].update(status="True"),
        ),
    )
    assert ready["status"]["conditions"][-1] == {"type": "Ready", "status": "True"}
    trace = data.trace(
        "controller-manager/replicaset",
        "create",
        "pods",
        "web-5c8f6-m2v8k",
        61,
        narration=RS_NARRATION,
    )
    deliver(page, data.changes(61, [data.event("ADDED", new, 61)], [trace]))
    wait_for_revision(page, 61)
    assert badge(page, "web-5c8f6") == ("2/3 ready", "converging")

    deliver(page, data.changes(62, [started], []))
    wait_for_revision(page, 62)
    assert badge(page, "web-5c8f6") == ("3/3 ready", "settled")
    assert workload(page, "web-5c8f6").locator(".pod-dot.st-running").count() == 3


def test_clicking_a_workload_or_a_service_opens_its_panel(page, harness):
    open_page(page, harness)

    workload(page, "web-5c8f6").click()
    page.wait_for_function(
        "() => document.querySelector('#panel').textContent"
        " === 'panel workloads/replicasets/default/web-5c8f6/'"
    )
    workload(page, "web", "deployments").locator(".workload-title").click()
    page.wait_for_function(
        "() => document.querySelector('#panel').textContent"
        " === 'panel workloads/deployments/default/web/'"
    )
    workload(page, "legacy").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#panel').textContent"
        " === 'panel workloads/replicationcontrollers/default/legacy/'"
    )
    workload(page, "kubernetes").click()
    page.wait_for_function(
        "() => document.querySelector('#panel').textContent"
        " === 'panel workloads/services/default/kubernetes/'"
    )
    assert harness.panel_gets == [
        "/sandboxes/1/workloads/replicasets/default/web-5c8f6/",
        "/sandboxes/1/workloads/deployments/default/web/",
        "/sandboxes/1/workloads/replicationcontrollers/default/legacy/",
        "/sandboxes/1/workloads/services/default/kubernetes/",
    ]


def test_an_open_workload_panel_follows_its_replicasets_and_says_when_it_is_gone(page, harness):
    snapshot = open_page(page, harness)
    workload(page, "legacy").click()
    page.wait_for_selector("#panel .fixture-panel")
    legacy = find(snapshot, "replicationcontrollers", "legacy")
    scaled = copy.deepcopy(legacy)
    scaled["spec"]["replicas"] = 3
    deliver(page, data.changes(61, [data.event("MODIFIED", scaled, 61, previous=legacy)], []))
    page.wait_for_function("() => document.querySelectorAll('#panel .fixture-panel').length")
    page.wait_for_timeout(500)  # the panel asks again PANEL_REFRESH_MS after a change
    assert (
        harness.panel_gets.count("/sandboxes/1/workloads/replicationcontrollers/default/legacy/")
        == 2
    )
    deliver(page, data.changes(62, [data.event("DELETED", None, 62, previous=scaled)], []))
    page.wait_for_function(
        "() => document.querySelector('#panel h2')?.textContent"
        " === 'ReplicationController default/legacy is gone'"
    )


def test_workloads_are_drawn_and_clickable_on_a_phone(page, harness):
    open_page(page, harness, width=390, height=844)

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert badge(page, "web-5c8f6") == ("2 of 3", "converging")
    area = page.locator(".diagram .workloads-area > rect").bounding_box()
    nodes = page.locator(".diagram .node").first.bounding_box()
    tray = page.locator(".diagram .tray-box").bounding_box()
    # Between the Pending tray and the worker nodes, text still readable (>= 12 px).
    assert tray["y"] + tray["height"] < area["y"] < area["y"] + area["height"] < nodes["y"]
    name_height = workload(page, "web-5c8f6").locator(".workload-name").bounding_box()["height"]
    assert name_height >= 12
    workload(page, "web-5c8f6").scroll_into_view_if_needed()
    workload(page, "web-5c8f6").click()
    page.wait_for_selector("#panel .fixture-panel")
    assert harness.panel_gets == ["/sandboxes/1/workloads/replicasets/default/web-5c8f6/"]


def test_a_lesson_without_workloads_keeps_its_picture(page, harness):
    nodes = [data.node("control-plane", control_plane=True), data.node("node-1")]
    open_page(page, harness, data.snapshot(nodes, [data.running("web", "node-1")]))

    assert page.locator(".diagram .workloads-area > *").count() == 0
    tray = page.locator(".diagram .tray-box").bounding_box()
    title = page.get_by_text("Worker nodes (1)").bounding_box()
    assert 0 < title["y"] - (tray["y"] + tray["height"]) < 40


def test_the_controller_manager_says_which_controller_acted_last(page, harness):
    snapshot = open_page(page, harness)
    manager = page.locator(".diagram .component.controller-manager")
    assert manager.locator(".subtitle").text_content() == "actual → desired"

    trace = data.trace(
        "controller-manager/replicaset",
        "create",
        "pods",
        "web-5c8f6-m2v8k",
        61,
        narration=RS_NARRATION,
    )
    look = data.trace("controller-manager/deployment", "list", "replicasets", "", 61)
    deliver(
        page,
        data.changes(61, [data.event("ADDED", replacement_pod(snapshot), 61)], [trace, look]),
    )
    wait_for_revision(page, 61)
    assert manager.locator(".subtitle").text_content() == "replicaset: creating 1"
    assert manager.get_attribute("aria-label") == (
        "kube-controller-manager: running; replicaset acted last: "
        "replicaset default/web-5c8f6 wants 3, sees 2: creating 1"
    )
    # The timeline names the controller; its reads are folded with the heartbeats.
    actors = page.locator("#timeline-list .tl-item:visible .tl-actor").all_inner_texts()
    assert actors == ["controller-manager/replicaset"]
    # The event it records and the status it writes after its act tell nothing new.
    recorded = data.trace(
        "controller-manager/replicaset",
        "create",
        "events",
        "web-5c8f6.1",
        62,
        narration="controller-manager/replicaset created event default/web-5c8f6.1",
    )
    status = data.trace(
        "controller-manager/replicaset",
        "update",
        "replicasets",
        "web-5c8f6",
        62,
        subresource="status",
        narration="controller-manager/replicaset: replicaset default/web-5c8f6 wants 3, sees 3 "
        "(2 ready, 2 available): updating its status; updated status of replicaset",
    )
    deliver(page, data.changes(62, [], [recorded, status]))
    page.wait_for_function(
        "() => document.querySelectorAll('#timeline-list .tl-item').length === 4"
    )
    assert manager.locator(".subtitle").text_content() == "replicaset: creating 1"

    stop = data.trace("student", "stop", "components", "controller-manager", 61)
    deliver(page, data.changes(61, [], [stop]))
    page.wait_for_function(
        "() => document.querySelector('.diagram .controller-manager').classList.contains('down')"
    )


def test_a_snapshot_with_every_controller_stopped_draws_the_manager_down(page, harness):
    nodes = [data.node("control-plane", control_plane=True), data.node("node-1")]
    components = {
        "scheduler": True,
        "controller-manager/replicaset": False,
        "controller-manager/deployment": False,
    }
    open_page(page, harness, data.snapshot(nodes, [], components=components))
    manager = page.locator(".diagram .component.controller-manager")
    assert "down" in manager.get_attribute("class")
    start = data.trace("student", "start", "components", "controller-manager", 10)
    deliver(page, data.changes(10, [], [start]))
    page.wait_for_function(
        "() => !document.querySelector('.diagram .controller-manager').classList.contains('down')"
    )


def test_a_powered_off_node_shows_its_kubelet_and_kube_proxy_stopped(page, harness):
    open_page(page, harness)
    node = page.locator('.diagram .node[data-node="node-2"]')
    assert node.locator(".chip.stopped").count() == 0

    off = data.trace("student", "stop", "nodes", "node-2", 60, narration="powered off node node-2")
    deliver(page, data.changes(60, [], [off]))
    page.wait_for_function(
        "() => document.querySelectorAll('.diagram .node[data-node=\"node-2\"] .chip.stopped')"
        ".length === 2"
    )
    assert node.locator(".chip.stopped").evaluate_all("chips => chips.map(c => c.textContent)") == [
        "kubelet stopped",
        "kube-proxy stopped",
    ]


def test_kube_proxy_and_controller_calls_travel_from_their_own_parts(page, harness):
    open_page(page, harness)
    routes = page.evaluate("""async () => {
        const { actorPlace, traceHops } = await import('/static/js/podlab/routes.js');
        const call = (actor, verb, resource, extra = {}) => ({
            actor, verb, resource, subresource: '', namespace: 'default', name: 'web', code: 200,
            reason: '', narration: '', ...extra });
        const hops = (trace) => traceHops(trace).map(h => `${h.from}>${h.to}: ${h.label}`);
        return {
            proxy: actorPlace('kube-proxy/node-1'),
            watch: hops(call('kube-proxy/node-1', 'list', 'endpointslices',
                             { name: '', narration: 'listed endpointslices: 2 found' })),
            scale: hops(call('controller-manager/deployment', 'update', 'replicasets')),
            poweroff: hops(call('student', 'stop', 'nodes', { name: 'node-2' })),
        };
    }""")
    assert routes["proxy"] == {"kind": "kubelet", "anchor": "proxy:node-1"}
    assert routes["watch"] == [
        "proxy:node-1>apiserver: list endpointslices",
        "apiserver>proxy:node-1: 2 found",
    ]
    assert routes["scale"] == [
        "controller-manager>apiserver: update replicaset web",
        "apiserver>etcd: store replicaset web",
    ]
    assert routes["poweroff"] == ["user>node:node-2: ⚡ stop node-2"]


def test_replay_rebuilds_the_workloads_of_an_earlier_revision(page, harness):
    snapshot = open_page(page, harness)
    deliver(
        page,
        data.changes(
            61,
            [data.event("ADDED", replacement_pod(snapshot), 61)],
            [
                data.trace(
                    "controller-manager/replicaset",
                    "create",
                    "pods",
                    "web-5c8f6-m2v8k",
                    61,
                    narration=RS_NARRATION,
                )
            ],
        ),
    )
    wait_for_revision(page, 61)
    assert badge(page, "web-5c8f6") == ("2/3 ready", "converging")
    page.locator("#replay").focus()
    page.keyboard.press("Home")
    page.wait_for_function("() => window.podlab.replaying === 60")
    assert badge(page, "web-5c8f6") == ("2 of 3", "converging")
    assert page.locator(".diagram .controller-manager .subtitle").text_content() == (
        "actual → desired"
    )
    page.get_by_role("button", name="Back to live").click()
    page.wait_for_function("() => window.podlab.replaying === null")
    assert badge(page, "web-5c8f6") == ("2/3 ready", "converging")


def test_choosing_a_controllers_write_in_the_timeline_highlights_its_workload(page, harness):
    snapshot = open_page(page, harness)
    old = find(snapshot, "replicasets", "web-7d4b9")
    scaled = copy.deepcopy(old)
    scaled["spec"]["replicas"] = 0
    trace = data.trace(
        "controller-manager/deployment",
        "update",
        "replicasets",
        "web-7d4b9",
        61,
        narration="controller-manager/deployment: deployment default/web: scaling down "
        "replica set web-7d4b9 from 1 to 0; updated replicaset default/web-7d4b9",
    )
    deliver(page, data.changes(61, [data.event("MODIFIED", scaled, 61, previous=old)], [trace]))
    wait_for_revision(page, 61)
    # Scaled to 0 with its pod still there: drawn until the pod goes.
    assert badge(page, "web-7d4b9") == ("1, wants 0", "converging")
    page.locator("#timeline-list .tl-summary").first.click()
    highlighted = workload(page, "web-7d4b9")
    page.wait_for_function(
        "() => document.querySelector('.diagram .workload[data-name=\"web-7d4b9\"]')"
        ".classList.contains('highlighted')"
    )
    assert "highlighted" in highlighted.get_attribute("class")
    # A long action is cut short in the box, and told whole to a screen reader.
    manager = page.locator(".diagram .component.controller-manager")
    subtitle = manager.locator(".subtitle").text_content()
    assert subtitle.startswith("deployment: scaling") and subtitle.endswith("…")
    assert manager.get_attribute("aria-label").endswith(
        "deployment default/web: scaling down replica set web-7d4b9 from 1 to 0"
    )
