"""The lesson's steps on the diagram itself (LESSON-STORY.md): the API server's stages,
the scheduler's filter marks and scores, the binding, the kubelet's calls to the
container runtime, the kubectl command in the terminal, and a picture that keeps
within about a second of the store. Static harness, fake WebSocket (harness.py)."""

from __future__ import annotations

import pytest

from tests.browser import cluster_data as data
from tests.browser.harness import deliver, drawn, record_drawing, wait_for_snapshots
from tests.browser.test_diagram_module import bind_and_run, lesson_snapshot

pytestmark = pytest.mark.browser

CREATE_STAGES = [
    {"stage": "authentication", "ok": True, "detail": "user alice (as alice)"},
    {"stage": "authorization", "ok": True, "detail": "alice owns this sandbox"},
    {"stage": "admission", "ok": True, "detail": "defaulted the pod and gave it uid 1"},
    {"stage": "validation", "ok": True, "detail": "the pod is valid"},
    {"stage": "etcd", "ok": True, "detail": "wrote /registry/pods/default/web at revision 11"},
]
FORBIDDEN = 'pods "db" is forbidden: User "bob" cannot delete pods in sandbox 1'


def open_animated(page, harness, snapshot, pace="4"):
    harness.load(page, snapshot=snapshot, query="")
    page.select_option("#pace", pace)
    deliver(page, snapshot)
    wait_for_snapshots(page, 1)
    record_drawing(page)


def wait_until_drawn(page, kind: str, count: int = 1) -> None:
    page.wait_for_function(
        "([kind, n]) => window.drawn.filter(d => d.kind === kind).length >= n",
        arg=[kind, count],
    )


def texts(page) -> list[str]:
    return [d["text"] for d in drawn(page) if not d["kind"].startswith("gone")]


def test_a_write_lights_the_four_stages_green_in_turn_before_it_goes_to_etcd(page, harness):
    open_animated(page, harness, lesson_snapshot(revision=10))
    create = data.trace("student", "create", "pods", "web", 11)
    create["stages"] = CREATE_STAGES
    deliver(page, data.changes(11, [data.added(data.pod("web"), 11)], [create]))
    wait_until_drawn(page, "gone stage-panel")

    log = drawn(page)
    kinds = [d["kind"] for d in log]
    [lights] = [d["text"] for d in log if d["kind"] == "gone stage-panel"]
    assert lights == "authentication ✓authorization ✓admission ✓validation ✓"
    assert kinds.index("stage-panel") < [d["text"] for d in log].index("store pod web")


def test_a_read_shows_only_the_stages_it_passed(page, harness):
    open_animated(page, harness, lesson_snapshot(revision=10))
    read = data.trace("student", "get", "pods", "web", 10)
    deliver(page, data.changes(10, [], [read]))
    wait_until_drawn(page, "gone stage-panel")
    [lights] = [d["text"] for d in drawn(page) if d["kind"] == "gone stage-panel"]
    assert lights == "authentication ✓authorization ✓"


def test_a_refusal_turns_its_stage_red_and_says_why(page, harness):
    open_animated(page, harness, lesson_snapshot(revision=10))
    refused = data.trace("bob", "delete", "pods", "db", 10, code=403, reason="Forbidden")
    refused["stages"][1]["detail"] = FORBIDDEN
    deliver(page, data.changes(10, [], [refused]))
    wait_until_drawn(page, "gone stage-panel")

    log = drawn(page)
    [lights] = [d["text"] for d in log if d["kind"] == "gone stage-panel"]
    assert lights == "authentication ✓authorization ✗admission –validation –"
    [stop] = [d["text"] for d in log if d["kind"] == "msg msg-stop"]
    assert stop == f"refused: 403 Forbidden{FORBIDDEN}"  # two lines: the code, then why


def scheduling_note(chosen: str | None) -> dict:
    return {
        "type": "scheduling",
        "pod": {"namespace": "default", "name": "web", "uid": "uid-web"},
        "node": chosen,
        "message": "" if chosen else "0/3 nodes are available: ...",
        "feasible_nodes": 2 if chosen else 0,
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
                "feasible": chosen is not None,
                "plugin": "" if chosen else "NodeResourcesFit",
                "reason": "" if chosen else "Insufficient cpu",
                "score": 131 if chosen else 0,
            },
            {
                "name": "node-2",
                "feasible": chosen is not None,
                "plugin": "" if chosen else "NodeUnschedulable",
                "reason": "" if chosen else "node(s) were unschedulable",
                "score": 187 if chosen else 0,
            },
        ],
    }


def test_the_scheduler_marks_the_nodes_then_the_binding_travels(page, harness):
    web = data.pod("web")
    open_animated(page, harness, lesson_snapshot([web], revision=10))
    binding, _ = bind_and_run(web, 11)
    page.evaluate("""() => {
        window.nowSaid = [];
        const now = document.querySelector('#now-playing');
        new MutationObserver(() => window.nowSaid.push(now.textContent))
            .observe(now, { childList: true, characterData: true, subtree: true });
    }""")
    deliver(page, scheduling_note("node-2"))
    deliver(page, binding)
    page.wait_for_function("() => window.podlab.revision === 11")
    wait_until_drawn(page, "gone marks fading")

    log = [d for d in drawn(page) if not d["kind"].startswith("gone")]
    [marks] = [d for d in log if d["kind"] == "marks"]
    by_node = {node: (text, kind) for node, text, kind in marks["marks"]}
    assert by_node["control-plane"][0].startswith("✗ node(s) had untolerated taint")
    assert by_node["node-1"] == ("score 131", "mark mark-feasible")
    assert by_node["node-2"] == ("✓ chosen: score 187", "mark mark-chosen")
    order = [d["text"] for d in log]
    assert order.index(marks["text"]) < order.index("bind web to node-2")
    assert page.evaluate("window.nowSaid")[:2] == [
        "Now: kube-scheduler filtered and scored the nodes: default/web goes to node-2"
        " (total score 187)",
        "Now: scheduler bound pod default/web to node node-2",
    ]
    assert order.index("bind web to node-2") < order.index("store binding web → node-2")


def test_a_pod_that_fits_nowhere_shows_each_nodes_reason(page, harness):
    web = data.pod("web")
    open_animated(page, harness, lesson_snapshot([web], revision=10))
    deliver(page, scheduling_note(None))
    wait_until_drawn(page, "marks")
    [marks] = [d for d in drawn(page) if d["kind"] == "marks"]
    by_node = {node: text for node, text, _ in marks["marks"]}
    assert by_node["node-1"] == "✗ Insufficient cpu"
    assert by_node["node-2"] == "✗ node(s) were unschedulable"


def kubelet_event(revision: int, reason: str, message: str, verb: str = "create") -> dict:
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"web.{reason.lower()}",
            "namespace": "default",
            "resourceVersion": str(revision),
        },
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
        "reason": reason,
        "message": message,
        "type": "Normal",
    }
    trace = data.trace("kubelet/node-2", verb, "events", f"web.{reason.lower()}", revision)
    store_event = {
        "type": "ADDED",
        "key": f"/registry/events/default/web.{reason.lower()}",
        "revision": revision,
        "object": event,
        "previous": None,
    }
    return data.changes(revision, [store_event], [trace])


def test_the_kubelet_pulls_creates_and_starts_through_the_runtime(page, harness):
    open_animated(page, harness, lesson_snapshot([data.running("web", "node-2")], revision=10))
    steps = [
        ("Pulling", 'Pulling image "nginx:1.27.3"'),
        ("Pulled", 'Successfully pulled image "nginx:1.27.3" in 4s (4s including waiting).'),
        ("Created", "Created container: app"),
        ("Started", "Started container app"),
    ]
    for revision, (reason, message) in enumerate(steps, start=11):
        deliver(page, kubelet_event(revision, reason, message))
        page.wait_for_function("r => window.podlab.revision === r", arg=revision)
        page.wait_for_function("() => !document.querySelector('.diagram .msg')")

    # The lights at the API server go out as the call leaves it for the runtime.
    kinds = [(d["kind"], d["text"]) for d in drawn(page)]
    pull = kinds.index(("msg", "PullImage nginx:1.27.3"))
    assert kinds[pull - 1][0] == "gone stage-panel"
    order = [text for text in texts(page) if not text.startswith("authentication")]
    assert order == [
        "event: Pulling",
        "store event web.pulling",
        "PullImage nginx:1.27.3",
        "pulled nginx:1.27.3",
        "event: Pulled",
        "store event web.pulled",
        "CreateContainer app",
        "event: Created",
        "store event web.created",
        "StartContainer app",
        "event: Started",
        "store event web.started",
    ]


def test_the_runtimes_steps_are_not_hidden_as_routine_when_calls_queue_up(page, harness):
    open_animated(page, harness, lesson_snapshot([data.running("web", "node-2")], revision=10))
    results = page.evaluate("""async () => {
        const { isRoutine, traceHops } = await import('/static/js/podlab/routes.js');
        const trace = { actor: 'kubelet/node-2', verb: 'create', resource: 'events',
                        subresource: '', namespace: 'default', name: 'web.1', code: 201,
                        stages: [] };
        const started = { reason: 'Started', message: 'Started container app' };
        const failed = { reason: 'FailedMount', message: 'MountVolume failed' };
        return {
            started: isRoutine(trace, started),
            other: isRoutine(trace, failed),
            unknown: isRoutine(trace),
            hops: traceHops(trace, { object: started }).map(h => h.kind),
        };
    }""")
    assert results == {
        "started": False,
        "other": True,
        "unknown": True,
        "hops": ["runtime", "request", "write"],
    }


def test_the_terminal_shows_the_kubectl_command_of_a_click(page, harness):
    open_animated(page, harness, lesson_snapshot(revision=10))
    create = data.trace("student", "create", "pods", "web", 11)
    create["command"] = "kubectl run web --image=nginx:1.27.3 --restart=Always"
    deliver(page, data.changes(11, [data.added(data.pod("web"), 11)], [create]))

    window = page.locator(".diagram .command-window")
    page.wait_for_function(
        "() => document.querySelector('.diagram .command-window')"
        ".getAttribute('visibility') === 'visible'"
    )
    assert window.text_content() == "$ kubectl run web --image=nginx:1.27.3 --restart=Always"
    assert page.locator(".diagram .user .terminal-text").all_text_contents() == [
        "$ kubectl",
        "run web…",
    ]
    entry = page.locator("#timeline-list .tl-item .tl-command")
    assert entry.text_content() == "$ kubectl run web --image=nginx:1.27.3 --restart=Always"


BURST = """async ({
    pods, gapMs, pace, story = ['create', 'binding', 'status'], silentEveryMs = 0,
}) => {
    const { Player, LAG_BUDGET_MS } = await import('/static/js/podlab/animation.js');
    const { traceHops } = await import('/static/js/podlab/routes.js');
    // Simulated time: a frame every 16 ms, timers when due; nothing waits on the wall clock.
    let now = 0;
    let frames = [];
    let timers = [];
    const timer = {
        now: () => now,
        frame: (callback) => frames.push(callback),
        after: (ms, callback) => timers.push({ at: now + ms, callback }),
    };
    const yieldToPlayer = () => new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = resolve;
        channel.port2.postMessage(0);
    });
    const box = { x: 0, y: 0, w: 120, h: 60 };
    const diagram = {
        messages: document.createElementNS('http://www.w3.org/2000/svg', 'g'),
        layout: null,
        rectOf: () => box,
        setTalking: () => {},
    };
    const arrived = new Map();
    const drawnAt = new Map();
    let travelled = 0;
    let folded = 0;
    const player = new Player(diagram, {
        onCommit: (seq) => {
            for (const [token] of arrived) {
                if (token <= seq && !drawnAt.has(token)) drawnAt.set(token, now);
            }
        },
        onStep: (trace) => { if (trace) travelled += 1; },
        onCatchUp: (count) => { folded = Math.max(folded, count); },
        timer,
    });
    player.pace = pace;
    const stages = ['authentication', 'authorization', 'admission', 'validation']
        .map((stage) => ({ stage, ok: true, detail: '' }));
    const call = (actor, verb, subresource, name) => ({
        actor, verb, resource: 'pods', subresource, namespace: 'default', name, code: 201,
        stages, narration: '' });
    // The story of each pod, as the store commits it: created, bound, reported.
    const arrivals = [];
    const bound = { spec: { nodeName: 'node-1' }, status: { phase: 'Pending' } };
    const calls = {
        create: (name) => [call('student', 'create', '', name), null],
        binding: (name) => [call('scheduler', 'create', 'binding', name), bound],
        status: (name) => [call('kubelet/node-1', 'update', 'status', name), bound],
    };
    for (let i = 0; i < pods; i += 1) {
        story.forEach((step, j) => {
            const [trace, object] = calls[step](`web-${i}`);
            arrivals.push({ at: i * gapMs + j * 20, trace, object });
        });
    }
    // Calls the page does not draw (the controllers' reads in poll mode): no hops.
    for (let at = 1; silentEveryMs && at < 60000; at += silentEveryMs) {
        const read = call('controller-manager/replicaset', 'list', '', '');
        arrivals.push({ at, trace: read, silent: true });
    }
    arrivals.sort((a, b) => a.at - b.at);
    let seq = 0;
    while (now < 120000) {
        while (arrivals.length && arrivals[0].at <= now) {
            const { trace, object, silent } = arrivals.shift();
            seq += 1;
            arrived.set(seq, now);
            const hops = silent ? [] : traceHops(trace, { object });
            player.enqueue({ trace, hops, commit: seq, minor: Boolean(silent) });
        }
        for (const due of timers.filter((t) => t.at <= now)) {
            timers.splice(timers.indexOf(due), 1);
            due.callback();
        }
        const running = frames;
        frames = [];
        for (const callback of running) callback(now);
        for (let i = 0; i < 4; i += 1) await yieldToPlayer();
        if (!arrivals.length && !player.busy) break;
        now += 16;
    }
    const lags = [...arrived].map(([token, at]) => (drawnAt.get(token) ?? Infinity) - at);
    return { lags, travelled, folded, budget: LAG_BUDGET_MS, calls: seq };
}"""


def test_at_normal_pace_a_burst_is_drawn_within_a_second_of_the_store(page, harness):
    """20 pods created 100 ms apart, each bound and reported: 60 calls in 2 s, where
    Normal pace would need more than 3 minutes to play them all unhurried."""
    harness.load(page, snapshot=lesson_snapshot())
    burst = page.evaluate(BURST, {"pods": 20, "gapMs": 100, "pace": 1})

    assert burst["calls"] == 60
    frame = 16
    assert max(burst["lags"]) <= burst["budget"] + 2 * frame
    assert burst["folded"] > 0  # and the page is told how many
    assert burst["travelled"] >= 5  # hurried and folded, but the story is still told


def test_a_lone_create_at_normal_pace_travels_whole_and_in_time(page, harness):
    harness.load(page, snapshot=lesson_snapshot())
    lone = page.evaluate(BURST, {"pods": 1, "gapMs": 0, "pace": 1, "story": ["create"]})
    assert (lone["calls"], lone["travelled"], lone["folded"]) == (1, 1, 0)
    assert max(lone["lags"]) <= lone["budget"] + 32


def test_at_very_slow_pace_a_pods_whole_story_travels_unfolded(page, harness):
    """The student asked to follow each call: the picture may trail the store."""
    harness.load(page, snapshot=lesson_snapshot())
    slow = page.evaluate(BURST, {"pods": 1, "gapMs": 0, "pace": 0.25})
    assert (slow["calls"], slow["travelled"], slow["folded"]) == (3, 3, 0)


def test_calls_not_drawn_never_push_a_slow_story_out_of_the_queue(page, harness):
    """Poll mode: the controllers read every few seconds; their calls are not drawn but
    keep their turn. At Very slow pace they must not fill the queue and have the pod's
    story skipped to catch up."""
    harness.load(page, snapshot=lesson_snapshot())
    slow = page.evaluate(BURST, {"pods": 1, "gapMs": 0, "pace": 0.25, "silentEveryMs": 100})
    assert slow["calls"] > 500
    assert (slow["travelled"], slow["folded"]) == (3, 0)


def test_the_page_says_how_many_calls_it_folded_to_catch_up(page, harness):
    open_animated(page, harness, lesson_snapshot(revision=10), pace="1")
    for revision in range(11, 23):
        create = data.trace("student", "create", "pods", f"web-{revision}", revision)
        create["stages"] = CREATE_STAGES
        added = data.added(data.pod(f"web-{revision}"), revision)
        deliver(page, data.changes(revision, [added], [create]))
    page.wait_for_function("() => window.podlab.revision === 22")
    page.wait_for_function("() => !document.querySelector('.diagram .msg')")
    note = page.locator("#catch-up-note").text_content()
    assert note.startswith("Caught up: ")
    folded = int(note.removeprefix("Caught up: ").split(" ")[0])
    assert 0 < folded < 12
    assert "calls folded so that the diagram keeps up with the cluster" in note


def test_a_fault_the_sandbox_injects_says_it_has_no_kubectl_command(page, harness):
    open_animated(page, harness, lesson_snapshot([data.running("web", "node-2")], revision=10))
    crash = data.trace("student", "crash", "pods", "web", 10)
    deliver(page, data.changes(10, [], [crash]))
    page.wait_for_function(
        "() => document.querySelector('.diagram .command-window')"
        ".getAttribute('visibility') === 'visible'"
    )
    window = page.locator(".diagram .command-window").text_content()
    assert window == "# no kubectl command for this: Podlab injects the fault"


def scheduler_ask(found: int, revision: int) -> dict:
    narration = f"scheduler listed pods matching spec.nodeName=: {found} found (rev {revision})"
    return data.trace("scheduler", "list", "pods", "", revision, namespace="", narration=narration)


def test_the_schedulers_ask_that_finds_a_pod_travels_even_behind_a_queue(page, harness):
    """The lesson's "Anything now? Yes: a new pod" is a step, not a read to hurry past:
    it travels whole behind a queue of calls, while an ask that finds nothing may not."""
    open_animated(page, harness, lesson_snapshot(revision=10))
    create = data.trace("student", "create", "pods", "web", 11)
    create["stages"] = CREATE_STAGES
    deliver(page, data.changes(11, [data.added(data.pod("web"), 11)], [create]))
    for _ in range(4):  # reads that queue up behind the create
        deliver(page, data.changes(11, [], [data.trace("student", "get", "pods", "web", 11)]))
    deliver(page, data.changes(11, [], [scheduler_ask(0, 11), scheduler_ask(1, 11)]))
    page.wait_for_function("() => window.drawn.some(d => d.text === 'yes: 1 found')")

    drawn_texts = texts(page)
    assert drawn_texts.count("any pods to schedule?") == 1  # the empty ask was not drawn
    assert "no: 0 found" not in drawn_texts
    assert drawn_texts.index("201 Created") < drawn_texts.index("any pods to schedule?")


def test_a_clicks_command_shows_even_when_its_call_is_folded_to_catch_up(page, harness):
    # Instant pace: no call travels, every one is drawn at once.
    open_animated(page, harness, lesson_snapshot(revision=10), pace="0")
    cordon = data.trace("student", "patch", "nodes", "node-1", 11)
    cordon["command"] = "kubectl cordon node-1"
    deliver(page, data.changes(11, [], [cordon]))
    page.wait_for_function(
        "() => document.querySelector('.diagram .command-window')"
        ".getAttribute('visibility') === 'visible'"
    )
    assert page.locator(".diagram .command-window").text_content() == ("$ kubectl cordon node-1")


def test_an_empty_ask_is_folded_in_the_timeline_but_drawn_on_the_diagram(page, harness):
    """Poll mode asks every 5 seconds: "Anything? No." is the lesson on the diagram, but
    listed each time it would bury the story's calls in the timeline."""
    open_animated(page, harness, lesson_snapshot(revision=10))
    deliver(page, data.changes(10, [], [scheduler_ask(0, 10)]))
    page.wait_for_function("() => window.drawn.some(d => d.text === 'no: 0 found')")
    assert page.locator("#timeline-list li").count() == 1
    assert not page.locator("#timeline-list li").first.is_visible()

    page.locator(".timeline-filters-box summary").click()
    page.get_by_label("heartbeats (node status, leases) and the scheduler's empty asks").check()
    assert page.locator("#timeline-list li").first.is_visible()


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize(
    ("trace", "label"),
    [
        (scheduler_ask(1, 10), "any pods to schedule?"),
        (data.trace("student", "create", "pods", "web-with-a-long-name", 11), "store pod"),
    ],
)
def test_a_label_between_two_close_control_plane_boxes_covers_neither_name(
    page, harness, trace, label
):
    """The scheduler and the API server, the API server and etcd, are closer than their
    labels are wide: the label waits in the control plane's title row above them."""
    open_animated(page, harness, lesson_snapshot(revision=10), pace="0.25")
    events = [data.added(data.pod("web-with-a-long-name"), 11)] if trace["verb"] == "create" else []
    deliver(page, data.changes(trace["revision"], events, [trace]))
    pill = page.locator(".diagram .msg-pill", has_text=label)
    pill.wait_for()
    page.wait_for_timeout(300)
    names = page.locator(".diagram .component .title, .diagram .etcd .title").all()
    covered = [
        n.text_content() for n in names if boxes_overlap(pill.bounding_box(), n.bounding_box())
    ]
    assert covered == [], (pill.bounding_box(), [n.bounding_box() for n in names])
    title = page.locator(".diagram .section-title").first.bounding_box()
    assert not boxes_overlap(pill.bounding_box(), title)
