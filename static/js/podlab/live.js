/**
 * The live sandbox page: wires the websocket, the cluster state and its
 * history, the diagram, the travelling messages, the timeline and the
 * controls together. Loaded as <script type="module"> by
 * templates/sandbox/detail.html; it reads its configuration from the
 * #podlab element's data attributes and the #initial-snapshot JSON.
 *
 * Readiness flags for tests and benchmarks, on window.podlab:
 *   connected     the socket is open and its snapshot is applied
 *   revision      the last revision applied to the page (drawn, in live mode)
 *   snapshots     websocket snapshots applied (the embedded one is not counted)
 *   lastAppliedAt performance.now() when the last snapshot or batch was drawn
 *   animations    whether messages travel (false with ?animations=off)
 *   replaying     the revision shown while scrubbing history, else null
 *   resyncs       resync requests sent after a revision gap
 *   backfill      history from before the page opened: "idle" (not asked for
 *                 yet), "loading", "complete" or "failed"
 *   oldest        the oldest revision the replay can show
 *   drawnAll      every node and pod is drawn (a big cluster's first draw
 *                 takes a few frames: see PARTS_PER_FRAME in diagram.js)
 *   drawnAllAt    performance.now() when it last became so
 * document.body.dataset.revision mirrors revision.
 */

import { Player } from "./animation.js";
import { Backfill } from "./backfill.js";
import { ClockDisplay, initialPace, rememberPace, ReplayControl } from "./controls.js";
import { Diagram } from "./diagram.js";
import {
  actorPlace, decisionNarration, isClockControl, isFault, isMinor, isWrite, schedulerAsk,
  schedulingHops, traceHops,
} from "./routes.js";
import { PartialFollower } from "./follow.js";
import { LiveSocket, socketUrl } from "./socket.js";
import { classifyBatch, ClusterState, History, objectKey, WORKLOAD_RESOURCES } from "./state.js";
import { Timeline } from "./timeline.js";
import { workloadPath } from "./workloads.js";

/** Ask again if a resync's snapshot has not come after this long. */
const RESYNC_RETRY_MS = 5000;
/** Where the panel is a sheet over the page's bottom (sandbox.css), not a side column. */
const SHEET_LAYOUT = "(max-width: 1000px)";
/** How long a batch from beyond the next revision waits for the ones before it. */
const REORDER_WAIT_MS = 400;
/** The components' modes, as the toolbar names them (templates/sandbox/detail.html). */
const MODE_WORDS = {
  watch: () => "watch (real Kubernetes)",
  poll: (seconds) => `poll every ${seconds} s (the lesson)`,
};
/** How often the scheduler asks in poll mode where the server does not say (cluster/loops.py poll_seconds). */
const POLL_SECONDS = 5;

/** Panel URLs under the sandbox's panel_base. */
const PANEL_PATHS = {
  pod: ({ namespace, name }) => `pods/${namespace}/${name}/`,
  node: ({ name }) => `nodes/${name}/`,
  workload: (target) => workloadPath(target),
  scheduler: () => "components/scheduler/",
  "controller-manager": () => "components/controller-manager/",
  apiserver: () => "components/kube-apiserver/",
  etcd: () => "etcd/",
  create: () => "pods/new/",
  yaml: () => "manifests/",
};

/** The kinds a workload panel shows, by resource (sandbox/views/workloads.py WORKLOADS). */
const WORKLOAD_KINDS = {
  deployments: "Deployment",
  replicasets: "ReplicaSet",
  replicationcontrollers: "ReplicationController",
};

/**
 * The store keys an open panel shows: its object, and the prefix of the events filed
 * about it (upstream names an event "<object name>.<suffix>"). A change to either
 * asks for the panel again.
 */
const PANEL_OBJECTS = {
  pod: ({ namespace, name }) => ({
    kind: "pod",
    name,
    key: `/registry/pods/${namespace}/${name}`,
    events: `/registry/events/${namespace}/${name}.`,
    what: `Pod ${namespace}/${name}`,
    present: (state) => state.pods.has(`/registry/pods/${namespace}/${name}`),
  }),
  node: ({ name }) => ({
    kind: "node",
    name,
    key: objectKey("nodes", { metadata: { name } }),
    events: `/registry/events/default/${name}.`,
    what: `Node ${name}`,
    present: (state) => state.nodes.has(name),
  }),
  /** A workload's panel lists its ReplicaSets and pods too: named "<its name>-...". */
  workload: ({ resource, namespace, name }) => {
    const key = objectKey(resource, { metadata: { namespace, name } });
    return {
      kind: "workload",
      name,
      key,
      events: `/registry/events/${namespace}/${name}.`,
      related: [`/registry/replicasets/${namespace}/${name}-`, `/registry/pods/${namespace}/${name}-`],
      what: `${WORKLOAD_KINDS[resource] ?? resource} ${namespace}/${name}`,
      present: (state) => state.table(resource)?.has(key) ?? false,
    };
  },
};

/** A burst of changes to a panel's object (a pod's start is several status reports)
 *  costs one request: the panel asks again this long after the first of them. */
const PANEL_REFRESH_MS = 300;

const CONNECTION_WORDS = {
  connecting: () => "Connecting…",
  connected: () => "Live",
  reconnecting: (info) => `Reconnecting in ${Math.ceil(info.retryInMs / 1000)} s…`,
  offline: (info) => (info.reason ? `Offline: ${info.reason}` : `Offline, retrying in ${Math.ceil(info.retryInMs / 1000)} s`),
};

/** The store event a trace's write produced, if its batch carried it. */
function eventFor(trace, events) {
  if (!isWrite(trace)) return null;
  const key = objectKey(trace.resource, { metadata: { namespace: trace.namespace, name: trace.name } });
  return events.find((event) => event.key === key && event.revision === trace.revision) ?? null;
}

/**
 * The diagram anchor of a part a lesson step names (lessons/schema/lesson-v1.json's
 * "part"): a node's kubelet, runtime and kube-proxy are drawn as the node itself.
 * @param {string} part
 * @returns {string}
 */
export function lessonAnchor(part) {
  if (part === "kube-apiserver") return "apiserver";
  const [kind, name] = part.split("/");
  return name && ["node", "kubelet", "runtime", "kube-proxy"].includes(kind) ? `node:${name}` : part;
}

class LivePage {
  /** @param {HTMLElement} root the #podlab element */
  constructor(root) {
    this.root = root;
    /** The lesson panel follows its run's pushes (lessons/runner.py tell_moved). */
    this.lessonPanel = new PartialFollower("#lesson");
    const { panelBase, wsPath, user, historyUrl, clockUrl, mayWrite } = root.dataset;
    this.panelBase = panelBase;
    /** Whether this user may change the sandbox (the server says; it still decides each call). */
    this.mayWrite = mayWrite !== "false";
    this.clockUrl = clockUrl;
    this.clockRefresh = null;
    this.clockRefreshAgain = false;
    const params = new URLSearchParams(window.location.search);
    const pace = initialPace(params);

    this.flags = {
      connected: false,
      revision: 0,
      snapshots: 0,
      lastAppliedAt: 0,
      animations: pace > 0,
      replaying: null,
      resyncs: 0,
      backfill: "complete",
      oldest: 0,
      drawnAll: false,
      drawnAllAt: 0,
    };
    window.podlab = this.flags;

    this.history = new History();
    /** @type {ClusterState} the cluster as the server says, now */
    this.live = new ClusterState();
    /** @type {ClusterState} the cluster as the picture shows it (trails live while messages travel) */
    this.shown = new ClusterState();
    /** Batches applied to live, not yet to shown: [{seq, batch}] */
    this.pending = [];
    this.batchSeq = 0;
    this.replaying = null;
    /** A snapshot whose pods are still coming: {snapshot, missing} */
    this.partialSnapshot = null;
    /** Batches that came before a revision they follow (holdOutOfOrder) */
    this.held = [];
    this.heldTimer = null;
    this.awaitingResync = false;
    this.resyncTimer = 0;
    this.renderQueued = false;

    const find = (selector) => root.querySelector(selector);
    this.errorBox = find("#page-error");
    this.connection = find("#connection");
    this.nowPlaying = find("#now-playing");
    this.panel = find("#panel");

    this.diagram = new Diagram(find("#diagram"), {
      user: user || "you",
      onOpen: (kind, target) => this.pickForLesson(kind, target) || this.openPanel(kind, target),
      onComplete: () => {
        this.flags.drawnAll = true;
        this.flags.drawnAllAt = performance.now();
      },
    });
    this.player = new Player(this.diagram, {
      onCommit: (seq) => this.commitThrough(seq),
      onStep: (trace) => this.showStep(trace),
      onSkip: (count) => this.showSkipped(count),
      onCatchUp: (folded, busy) => this.showCatchUp(folded, busy),
    });
    this.player.pace = pace;
    this.diagram.animate = pace > 0;

    this.timeline = new Timeline({
      list: find("#timeline-list"),
      filters: find("#timeline-filters"),
      count: find("#timeline-count"),
      jump: find("#timeline-jump"),
      summary: find("#filter-summary"),
      none: find("#timeline-none"),
    }, {
      eventsFor: (trace) => this.eventsOf(trace),
      onSelect: (trace) => this.diagram.highlight(trace ? this.anchorsOf(trace) : []),
      onWantOlder: () => this.backfill.start(),
      olderState: () => this.backfill?.state ?? "complete",
    });

    this.clock = new ClockDisplay({
      time: find("#clock-time"),
      state: find("#clock-state"),
      root,
      speed: find("#clock-speed"),
    });
    /** @type {HTMLSelectElement|null} watch or poll; absent for who may not switch it */
    this.modeSelect = root.querySelector("#components-mode");
    /** @type {number|null} sandbox time (ms) the scheduler last asked for pods */
    this.lastAskMs = null;
    setInterval(() => this.showNextAsk(), 250);
    this.replay = new ReplayControl({
      slider: find("#replay"),
      label: find("#replay-label"),
      back: find("#back-to-live"),
      reach: find("#history-reach"),
    }, (revision) => this.scrub(revision), () => this.backfill.start());
    this.backfill = new Backfill(historyUrl, this.history, {
      onPage: (page) => {
        this.timeline.add(page.traces);
        this.updateReplay();
      },
      onState: (state) => {
        this.flags.backfill = state;
        this.updateReplay();
        this.timeline.sayWhenNoneMatch();
      },
    });
    this.flags.backfill = this.backfill.state;

    this.bindControls(find("#pace"));

    const embedded = document.getElementById("initial-snapshot");
    if (embedded) {
      const parsed = measured("parse snapshot", () => JSON.parse(embedded.textContent));
      this.applySnapshot(parsed, { fromSocket: false });
    }

    this.socket = new LiveSocket(socketUrl(wsPath), {
      onMessage: (message) => this.receive(message),
      onStatus: (info) => this.showConnection(info),
    });
    this.socket.connect();
  }

  bindControls(pace) {
    const usePace = (value) => {
      this.player.setPace(value);
      this.diagram.animate = value > 0;
      this.flags.animations = value > 0;
    };
    pace.value = String(this.player.pace);
    if (pace.value === "") {
      pace.value = "1"; // a remembered pace this page no longer offers
      usePace(1);
    }
    pace.addEventListener("change", () => {
      usePace(Number(pace.value));
      rememberPace(Number(pace.value));
    });
    this.root.querySelector("#create-pod")?.addEventListener("click", () => this.openPanel("create", {}));
    this.root.querySelector("#create-yaml")?.addEventListener("click", () => this.openPanel("yaml", {}));
    this.root.querySelector("#panel-close")?.addEventListener("click", () => this.closePanel());
    this.errorBox.querySelector("button")?.addEventListener("click", () => this.hideError());
    document.body.addEventListener("htmx:afterRequest", (event) => this.controlAnswered(event));
    document.body.addEventListener("htmx:beforeSwap", (event) => {
      if (event.detail?.target === this.panel) this.focusWasInPanel = this.panel.contains(document.activeElement);
    });
    document.body.addEventListener("htmx:afterSwap", (event) => {
      if (event.detail?.target !== this.panel) return;
      this.panelSwapped();
      if (this.createdOnASheet(event)) this.showTheStory();
    });
    document.body.addEventListener("htmx:afterSettle", (event) => {
      if (event.target instanceof Element && event.target.id === "lesson") this.spotlightLesson();
    });
    document.body.addEventListener("htmx:responseError", (event) => this.requestFailed(event));
    document.body.addEventListener("htmx:sendError", (event) => this.requestFailed(event));
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !this.root.classList.contains("panel-open")) return;
      if (event.defaultPrevented) return; // an Escape something else took (an open menu's)
      event.preventDefault();
      this.closePanel();
    });
  }

  // --- messages from the server ------------------------------------------

  /** @param {object} message a websocket message */
  receive(message) {
    if (message.type === "snapshot-part") {
      this.addSnapshotPart(message);
      return;
    }
    if (this.partialSnapshot && message.type !== "snapshot") {
      // A snapshot's parts come back to back: a batch between them means some went missing.
      this.partialSnapshot = null;
      this.requestResync();
    }
    if (message.type === "snapshot") {
      this.partialSnapshot = null; // a newer snapshot (a reconnect) replaces an unfinished one
      if ((message.parts ?? 1) > 1) this.partialSnapshot = { snapshot: message, missing: message.parts - 1 };
      else this.applySnapshot(message, { fromSocket: true });
    } else if (message.type === "changes") this.applyChanges(message);
    else if (message.type === "component") this.applyComponentHealth(message);
    else if (message.type === "scheduling") this.showDecision(message);
    else if (message.type === "error") this.showError(message.status);
    // The lesson moved on (lessons/runner.py): its panel fetches itself again.
    else if (message.type === "lesson") this.lessonPanel.told(message.moves);
  }

  /** Spotlight on the diagram the parts the lesson panel's step talks about. */
  spotlightLesson() {
    const parts = document.querySelector("#lesson")?.dataset.highlight ?? "";
    this.diagram.spotlight(parts.split(" ").filter(Boolean).map(lessonAnchor));
    // "Which node will the scheduler pick?": the nodes on the diagram answer it.
    this.root.classList.toggle("picking-node", Boolean(document.querySelector("#lesson .node-choices")));
  }

  /**
   * A node clicked while the lesson asks which node the scheduler will pick answers it
   * (the panel's button for that node), instead of opening the node's panel.
   * @returns {boolean} whether the click was the answer
   */
  pickForLesson(kind, target) {
    // A click on a pod drawn in a node's box is a click on that node, here.
    const node = kind === "node" ? target?.name : kind === "pod" && target?.name ? this.podNode(target.namespace ?? "default", target.name) : "";
    if (!node) return false;
    const choice = [...document.querySelectorAll("#lesson .node-choices button")].find(
      (button) => button.value === node,
    );
    if (!choice) return false;
    choice.click();
    return true;
  }

  /** More pods of a snapshot too big for one message (see sandbox/consumers.py). */
  addSnapshotPart(part) {
    const partial = this.partialSnapshot;
    if (!partial || part.revision !== partial.snapshot.revision) return;
    partial.snapshot.pods.push(...part.pods);
    partial.missing -= 1;
    if (partial.missing > 0) return;
    this.partialSnapshot = null;
    this.applySnapshot(partial.snapshot, { fromSocket: true });
  }

  applySnapshot(snapshot, { fromSocket }) {
    this.player.flush();
    // Held batches older than the snapshot are in it; newer ones may follow it.
    const held = this.held;
    this.held = [];
    this.live = measured("state", () => ClusterState.fromSnapshot(snapshot));
    this.shown = this.live.clone();
    this.pending = [];
    this.history.recordSnapshot(this.live);
    measured("timeline", () => this.timeline.add(snapshot.traces ?? []));
    for (const trace of snapshot.traces ?? []) this.noteAsk(trace);
    if (snapshot.sandbox) this.takeClock(snapshot.sandbox);
    // Drawn at once (not in the next frame), so the flags below describe the picture.
    measured("render", () => this.render());
    if (fromSocket) {
      this.panelAfterResync();
      this.flags.snapshots += 1;
      this.flags.connected = true;
      this.awaitingResync = false;
      clearTimeout(this.resyncTimer);
      this.showConnection({ state: "connected" });
    }
    for (const batch of held) {
      if (classifyBatch(this.live.revision, batch) !== "stale") this.holdOutOfOrder(batch);
    }
    this.releaseHeld();
  }

  applyChanges(batch) {
    const verdict = classifyBatch(this.live.revision, batch);
    if (verdict === "stale") {
      // Its changes are in the state already; a read answered late is still a call made.
      this.timeline.add(batch.traces ?? []);
      return;
    }
    if (verdict === "gap") {
      this.holdOutOfOrder(batch);
      return;
    }
    this.applyInOrder(batch);
    this.releaseHeld();
  }

  /**
   * A batch from beyond the next revision. Pushes leave from several processes (the
   * worker's children, the web server), so one can overtake another by a few
   * milliseconds: wait a moment for the revisions in between before calling it a loss.
   * @param {object} batch
   */
  holdOutOfOrder(batch) {
    this.held.push(batch);
    if (this.heldTimer) return;
    this.heldTimer = setTimeout(() => {
      this.heldTimer = null;
      if (!this.held.length) return;
      this.held = [];
      this.requestResync();
    }, REORDER_WAIT_MS);
  }

  /** Apply the held batches the state has now caught up to, in revision order. */
  releaseHeld() {
    let progress = true;
    while (progress && this.held.length) {
      progress = false;
      this.held.sort((a, b) => a.revision - b.revision);
      for (const batch of [...this.held]) {
        const verdict = classifyBatch(this.live.revision, batch);
        if (verdict === "gap") continue;
        this.held.splice(this.held.indexOf(batch), 1);
        if (verdict === "apply") this.applyInOrder(batch);
        else this.timeline.add(batch.traces ?? []);
        progress = true;
      }
    }
    if (!this.held.length) {
      clearTimeout(this.heldTimer);
      this.heldTimer = null;
    }
  }

  /** @param {object} batch the batch that follows the live state */
  applyInOrder(batch) {
    this.live.applyBatch(batch);
    this.history.recordBatch(batch, this.live);
    this.followPanel(batch.events ?? []);
    this.timeline.add(batch.traces ?? []);
    for (const trace of batch.traces ?? []) this.followClock(trace);
    this.batchSeq += 1;
    const seq = this.batchSeq;
    this.pending.push({ seq, batch });
    if (this.replaying !== null) {
      this.updateReplay();
      return; // live changes wait for "Back to live"
    }
    const events = batch.events ?? [];
    for (const trace of batch.traces ?? []) {
      // Typed as the click is made: a call folded away to catch up still shows its command.
      if (trace.command) this.diagram.showCommand(trace.command);
      const object = eventFor(trace, events)?.object ?? null;
      const shown = this.timeline.isDrawn(trace);
      const hops = shown ? traceHops(trace, {
        object,
        podNode: (namespace, name) => this.podNode(namespace, name),
      }) : [];
      this.player.enqueue({ trace, hops, commit: seq, minor: isMinor(trace, object) });
    }
    if (!(batch.traces ?? []).length) this.player.enqueue({ trace: null, hops: [], commit: seq });
  }

  /**
   * A component's ticks started or stopped failing. Not a store change: it shows at
   * once, on the live picture and on the one the messages are catching up to.
   * @param {{name: string, failure: string, failingSince: string|null}} note
   */
  applyComponentHealth(note) {
    this.live.setHealth(note);
    this.shown.setHealth(note);
    this.scheduleRender();
  }

  /**
   * The sandbox's clock and mode as the server says them (a snapshot, a control's answer).
   * @param {{paused?: boolean, speed?: number, now?: string, mode?: string}} clock
   */
  takeClock(clock) {
    const wasPaused = this.lessonSawPaused;
    this.lessonSawPaused = Boolean(clock.paused);
    // The lesson panel says when the clock is paused: it asks again when that changes.
    if (wasPaused !== undefined && wasPaused !== this.lessonSawPaused) this.lessonPanel.told();
    this.clock.set(clock);
    if (!clock.mode) return;
    if (this.modeSelect && document.activeElement !== this.modeSelect) this.modeSelect.value = clock.mode;
    const readout = this.root.querySelector("#components-mode-readout");
    const pollSeconds = clock.pollSeconds ?? POLL_SECONDS;
    if (readout) readout.textContent = MODE_WORDS[clock.mode]?.(pollSeconds) ?? clock.mode;
    for (const state of [this.live, this.shown]) {
      if (state?.sandbox && (state.sandbox.mode !== clock.mode || state.sandbox.pollSeconds !== pollSeconds)) {
        state.sandbox = { ...state.sandbox, mode: clock.mode, pollSeconds };
        this.scheduleRender();
      }
    }
  }

  /**
   * The scheduler decided (a {"type": "scheduling"} note, sent right before the binding or
   * the pending status): its filter marks and scores take their turn on the nodes.
   */
  showDecision(note) {
    if (this.replaying !== null || this.timeline.hiddenKinds.has("scheduler")) return;
    const about = { narration: decisionNarration(note) };
    this.player.enqueue({ trace: null, about, hops: schedulingHops(note), commit: this.batchSeq });
  }

  /** The clock moves with every call; after a clock control (from any tab), ask the clock. */
  followClock(trace) {
    this.clock.observe(trace.sandbox_time);
    this.noteAsk(trace);
    if (isClockControl(trace) && trace.code < 400) this.refreshClock();
  }

  /** The scheduler asked the API server for pods: its tick began then. */
  noteAsk(trace) {
    if (schedulerAsk(trace) !== null) this.lastAskMs = Date.parse(trace.sandbox_time);
  }

  /** In poll mode, count down to the scheduler's next ask (on the sandbox clock). */
  showNextAsk() {
    const polling = this.live?.sandbox?.mode === "poll" && this.replaying === null;
    if (!polling || this.lastAskMs === null) {
      this.diagram.setNextAsk(null);
      return;
    }
    const period = this.live.sandbox.pollSeconds ?? POLL_SECONDS;
    this.diagram.setNextAsk((this.lastAskMs + period * 1000 - this.clock.nowMs()) / 1000);
  }

  /**
   * GET the clock's state (paused, speed, sandbox time); one request at a time.
   * A control seen while a request is out may have come after the server
   * answered it, so one more request follows (a speed change then a resume
   * from another tab must end as "Running ×5", not as the paused ×5 between).
   */
  refreshClock() {
    if (!this.clockUrl) return;
    if (this.clockRefresh) {
      this.clockRefreshAgain = true;
      return;
    }
    this.clockRefreshAgain = false;
    this.clockRefresh = fetch(this.clockUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((clock) => {
        if (clock) this.takeClock(clock);
      })
      .catch(() => {}) // the next control or snapshot says it again
      .finally(() => {
        this.clockRefresh = null;
        if (this.clockRefreshAgain) this.refreshClock();
      });
  }

  requestResync() {
    if (this.awaitingResync) return;
    this.awaitingResync = true;
    this.flags.resyncs += 1;
    this.socket.send({ type: "resync" });
    this.resyncTimer = setTimeout(() => {
      this.awaitingResync = false;
    }, RESYNC_RETRY_MS);
  }

  /** The picture may now show every batch up to this one. */
  commitThrough(seq) {
    let changed = false;
    while (this.pending.length && this.pending[0].seq <= seq) {
      const { batch } = this.pending.shift();
      this.shown.applyBatch(batch);
      // Reads change nothing on the picture; writes and component faults do.
      changed ||= (batch.events ?? []).length > 0 || (batch.traces ?? []).some(isFault);
    }
    if (changed) this.scheduleRender();
  }

  podNode(namespace, name) {
    const key = objectKey("pods", { metadata: { namespace, name } });
    return (this.shown.pods.get(key) ?? this.live.pods.get(key))?.spec?.nodeName ?? "";
  }

  // --- drawing -------------------------------------------------------------

  scheduleRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  render() {
    if (this.replaying !== null) return;
    this.diagram.render(this.shown);
    this.flags.drawnAll = !this.diagram.unfinished;
    // With nothing left to show, the picture is the live state.
    const caughtUp = this.pending.length === 0;
    this.flags.revision = caughtUp ? this.live.revision : this.shown.revision;
    this.flags.lastAppliedAt = performance.now();
    document.body.dataset.revision = String(this.flags.revision);
    this.updateReplay();
  }

  updateReplay() {
    this.flags.oldest = Math.min(this.history.oldestRevision(), this.live.revision);
    this.replay.update(this.flags.oldest, this.live.revision, this.replaying, this.backfill?.state);
  }

  /** @param {number|null} revision a revision to replay, or null for live */
  scrub(revision) {
    if (revision === null) {
      this.replaying = null;
      this.flags.replaying = null;
      this.root.classList.remove("replaying");
      this.timeline.setReplayRevision(null);
      this.player.flush();
      this.shown = this.live.clone();
      this.pending = [];
      this.diagram.animate = this.player.enabled;
      this.render();
      return;
    }
    const state = this.history.stateAt(revision);
    if (!state) return;
    if (this.replaying === null) this.player.flush();
    this.replaying = revision;
    this.flags.replaying = revision;
    this.root.classList.add("replaying");
    this.diagram.animate = false;
    this.diagram.render(state);
    this.timeline.setReplayRevision(revision);
    this.updateReplay();
  }

  showStep(trace) {
    if (trace?.command) this.diagram.showCommand(trace.command);
    else if (trace && isFault(trace) && actorPlace(trace.actor).kind === "user") {
      this.diagram.showCommand(null); // no kubectl command does what this click does
    } else this.diagram.foldCommand();
    if (!this.nowPlaying) return;
    this.nowPlaying.textContent = trace ? `Now: ${trace.narration}` : "";
    this.timeline.list.querySelector(".playing")?.classList.remove("playing");
    if (trace) this.timeline.items.get(trace.id)?.item.classList.add("playing");
  }

  /** Calls folded to keep the picture within a second of the store. */
  showCatchUp(folded, busy) {
    const note = this.root.querySelector("#catch-up-note");
    if (!note) return;
    if (!folded) {
      note.textContent = "";
      return;
    }
    const calls = folded === 1 ? "1 call" : `${folded} calls`;
    note.textContent = busy
      ? `Catching up: ${calls} folded (drawn without their messages).`
      : `Caught up: ${calls} folded so that the diagram keeps up with the cluster; the timeline lists them all.`;
  }

  showSkipped(count) {
    const note = this.root.querySelector("#skipped-note");
    if (note) note.textContent = `${count} calls went by too fast to draw; the timeline lists them all.`;
  }

  /** The diagram parts a call involved, for the timeline's highlight. */
  anchorsOf(trace) {
    const events = this.history.eventsAt(trace.revision);
    const hops = traceHops(trace, {
      object: eventFor(trace, events)?.object ?? null,
      podNode: (namespace, name) => this.podNode(namespace, name),
    });
    const anchors = new Set(hops.flatMap((hop) => [hop.from, hop.to]));
    anchors.add(actorPlace(trace.actor).anchor);
    if (trace.resource === "pods" && trace.name) {
      anchors.add(`pod:${objectKey("pods", { metadata: { namespace: trace.namespace, name: trace.name } })}`);
    }
    if (trace.resource === "nodes" && trace.name) anchors.add(`node:${trace.name}`);
    if (WORKLOAD_RESOURCES.includes(trace.resource) && trace.name) {
      anchors.add(`workload:${objectKey(trace.resource, { metadata: { namespace: trace.namespace, name: trace.name } })}`);
    }
    if (isFault(trace) && trace.resource === "components") anchors.add(actorPlace(trace.name).anchor);
    return [...anchors];
  }

  eventsOf(trace) {
    const key = objectKey(trace.resource, { metadata: { namespace: trace.namespace, name: trace.name } });
    const events = this.history.eventsAt(trace.revision);
    const own = events.filter((event) => event.key === key);
    return own.length ? own : events;
  }

  // --- panels, controls, status --------------------------------------------

  openPanel(kind, target) {
    const path = PANEL_PATHS[kind]?.(target);
    if (!path || !window.htmx) return;
    if ((kind === "create" || kind === "yaml") && !this.mayWrite) return;
    if (!this.panel.contains(document.activeElement)) this.opener = document.activeElement;
    const url = `${this.panelBase}${path}`;
    this.panel.dataset.url = url;
    this.panelObject = PANEL_OBJECTS[kind]?.(target) ?? null;
    clearTimeout(this.panelRefreshTimer);
    this.panelRefreshTimer = null;
    this.root.classList.add("panel-open");
    window.htmx.ajax("GET", url, { target: "#panel", swap: "innerHTML" }).then(() => {
      if (this.panel.dataset.url === url) this.panel.focus({ preventScroll: true });
    }, () => {});
  }

  /** A panel that came as the answer to a form (a created pod's, a node's after an
   *  action) follows the object it shows, as if the student had opened it. */
  panelSwapped() {
    this.keepFocusInPanel();
    const pod = this.panel.querySelector("#pod-panel[data-pod]");
    const node = this.panel.querySelector("#node-panel[data-node]");
    const workload = this.panel.querySelector("#workload-panel[data-workload]");
    let kind = null;
    let target = null;
    if (pod) {
      const [namespace, name] = pod.dataset.pod.split("/");
      [kind, target] = ["pod", { namespace, name }];
    } else if (node) {
      [kind, target] = ["node", { name: node.dataset.node }];
    } else if (workload) {
      const [resource, namespace, name] = workload.dataset.workload.split("/");
      [kind, target] = ["workload", { resource, namespace, name }];
    }
    if (!kind) return;
    const url = `${this.panelBase}${PANEL_PATHS[kind](target)}`;
    if (this.panel.dataset.url === url && this.panelObject) return;
    this.panel.dataset.url = url;
    this.panelObject = PANEL_OBJECTS[kind](target);
  }

  /**
   * A form's answer replaced the panel, and the focused button with it: the focus goes
   * to the first field in error (scrolled into view: the student was at the button),
   * else to the new panel's heading, never to the page's body.
   */
  /**
   * The create form's pod was created while the panel is a sheet over the diagram (one
   * column: a phone, a narrow window).
   * @param {CustomEvent} event htmx:afterSwap
   * @returns {boolean}
   */
  createdOnASheet(event) {
    const form = event.detail?.requestConfig?.elt;
    const created = Boolean(form?.closest?.("#pod-form")) && Boolean(this.panel.querySelector("#pod-panel"));
    return created && window.matchMedia(SHEET_LAYOUT).matches;
  }

  /** Put the sheet away and the diagram in view: the pod's story is told there now. */
  showTheStory() {
    this.closePanel();
    this.root.querySelector("#diagram")?.scrollIntoView({ block: "start" });
  }

  keepFocusInPanel() {
    const lost = this.focusWasInPanel && !this.panel.contains(document.activeElement);
    this.focusWasInPanel = false;
    const field = this.panel.querySelector("[aria-invalid=true], .has-error :is(input, select, textarea)");
    const line = this.panel.querySelector(".annotated-yaml .has-error");
    const headline = this.panel.querySelector(".form-error, .yaml-syntax-error, .manifest-results .failed");
    const shown = field ?? line ?? headline;
    if (shown) {
      shown.scrollIntoView({ block: "center" });
      const focused = field ?? headline ?? line;
      if (lost) {
        if (!focused.matches("input, select, textarea")) focused.tabIndex = -1;
        focused.focus({ preventScroll: true });
      }
      return;
    }
    if (!lost) return;
    const heading = this.panel.querySelector("h2");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    } else {
      this.panel.focus({ preventScroll: true });
    }
  }

  /** The open panel shows the live object (also while the diagram replays the past):
   *  when a batch changes it or files an event about it, ask for the panel again. */
  followPanel(events) {
    const shown = this.panelObject;
    if (!shown) return;
    for (const event of events) {
      if (event.key === shown.key && event.type === "DELETED") {
        this.panelGone(shown, `The API server deleted it from etcd at revision ${event.revision}.`);
        return;
      }
      const related = (shown.related ?? []).some((prefix) => event.key.startsWith(prefix));
      if (event.key === shown.key || event.key.startsWith(shown.events) || related) {
        this.schedulePanelRefresh();
        return;
      }
    }
  }

  schedulePanelRefresh() {
    if (this.panelRefreshTimer) return;
    this.panelRefreshTimer = setTimeout(() => {
      this.panelRefreshTimer = null;
      this.refreshPanel();
    }, PANEL_REFRESH_MS);
  }

  refreshPanel() {
    const url = this.panel.dataset.url;
    if (!url || !window.htmx) return;
    const editing = document.activeElement;
    if (this.panel.contains(editing) && editing.matches("input, select, textarea")) {
      this.schedulePanelRefresh(); // not under the student's typing: once they leave the field
      return;
    }
    const scrolled = this.panel.scrollTop;
    window.htmx.ajax("GET", url, { target: "#panel", swap: "innerHTML" }).then(() => {
      if (this.panel.dataset.url === url) this.panel.scrollTop = scrolled;
    }, () => {});
  }

  /** A snapshot (after a gap or a reconnect) may stand for changes the panel never saw. */
  panelAfterResync() {
    const shown = this.panelObject;
    if (!shown) return;
    if (shown.present(this.live)) {
      this.schedulePanelRefresh();
    } else {
      this.panelGone(shown, `It is not in etcd at revision ${this.live.revision}.`);
    }
  }

  panelGone(shown, why) {
    clearTimeout(this.panelRefreshTimer);
    this.panelRefreshTimer = null;
    this.panelObject = null;
    const section = document.createElement("section");
    section.className = "panel-section";
    const heading = document.createElement("h2");
    heading.textContent = `${shown.what} is gone`;
    const note = document.createElement("p");
    note.textContent = why;
    section.append(heading, note);
    this.panel.replaceChildren(section);
  }

  closePanel() {
    clearTimeout(this.panelRefreshTimer);
    this.panelRefreshTimer = null;
    this.panelObject = null;
    const hadFocus = this.panel.contains(document.activeElement) || document.activeElement === document.body;
    this.panel.replaceChildren();
    delete this.panel.dataset.url;
    this.root.classList.remove("panel-open");
    // Back to what opened the panel (a diagram part, "Create pod"), if it is still there.
    if (hadFocus && this.opener?.isConnected) this.opener.focus();
    this.opener = null;
  }

  /**
   * A request the server refused (403 Forbidden, 409 Conflict...) or never answered.
   * A control's refusal is told next to the control, and the rest of the page stays
   * as it was; a panel that could not be loaded says so, with the server's reason.
   */
  requestFailed(event) {
    const { elt, target, xhr } = event.detail ?? {};
    const status = refusalOf(xhr);
    const control = elt?.closest?.("form") ?? null;
    if (control && this.root.contains(control)) {
      showRefusal(control, status);
      return;
    }
    if (target === this.panel) {
      const note = document.createElement("p");
      note.className = "refusal";
      note.setAttribute("role", "alert");
      note.textContent = `This panel could not be loaded: ${statusWords(status)}`;
      this.panel.replaceChildren(note);
    }
  }

  /** A clock control's POST came back: take its answer, or assume it did what it said. */
  controlAnswered(event) {
    const form = event.detail?.elt?.closest?.("[data-clock-action]");
    if (!form) return;
    const xhr = event.detail.xhr;
    if (!event.detail.successful) return; // told next to the control (requestFailed)
    clearRefusal(form);
    let answer = null;
    try {
      answer = JSON.parse(xhr?.responseText || "null");
    } catch {
      answer = null;
    }
    const clock = answer?.sandbox ?? answer;
    if (clock && typeof clock === "object" && ("paused" in clock || "speed" in clock)) {
      this.takeClock(clock);
      return;
    }
    const action = form.dataset.clockAction;
    if (action === "pause") this.clock.set({ paused: true });
    else if (action === "resume") this.clock.set({ paused: false });
    else if (action === "speed") this.clock.set({ speed: Number(new FormData(form).get("speed")) });
  }

  showConnection(info) {
    if (info.state !== "connected") this.flags.connected = false;
    const state = info.state === "connected" && !this.flags.connected ? "connecting" : info.state;
    this.connection.dataset.state = state;
    this.connection.querySelector(".conn-text").textContent = CONNECTION_WORDS[state](info);
  }

  /** @param {{code?: number, reason?: string, message?: string}} status a Kubernetes Status */
  showError(status) {
    const code = [status?.code, status?.reason].filter(Boolean).join(" ");
    this.errorBox.querySelector(".error-text").textContent = `${code ? `${code}: ` : ""}${status?.message ?? "error"}`;
    this.errorBox.hidden = false;
  }

  hideError() {
    this.errorBox.hidden = true;
  }
}

/**
 * Run fn and record its duration as a "podlab:<name>" performance measure
 * (bench/browser_latency.py and the profiling notes read them).
 */
function measured(name, fn) {
  const start = performance.now();
  try {
    return fn();
  } finally {
    performance.measure(`podlab:${name}`, { start, end: performance.now() });
  }
}

/**
 * The Kubernetes Status a refused request carried: JSON from the page's JSON views,
 * or the status partial (templates/sandbox/partials/status.html) from an htmx one.
 * @returns {{code?: number, reason?: string, message: string}}
 */
function refusalOf(xhr) {
  if (!xhr?.status) return { message: "the server did not answer; try again" };
  const text = xhr.responseText ?? "";
  const fallback = { code: xhr.status, reason: xhr.statusText };
  try {
    const status = JSON.parse(text);
    if (status && typeof status.message === "string") return { ...fallback, ...status };
  } catch {
    // not JSON: an HTML partial
  }
  const html = new DOMParser().parseFromString(text, "text/html");
  const message = html.querySelector("[data-status-message]")?.textContent.trim()
    || html.body?.textContent.trim().slice(0, 300) || "the request failed";
  return { ...fallback, message };
}

function statusWords(status) {
  const code = [status.code, status.reason].filter(Boolean).join(" ");
  return code ? `${code}: ${status.message}` : status.message;
}

/** Say why the server refused this form's request, right after the form. */
function showRefusal(form, status) {
  clearRefusal(form);
  const note = document.createElement("p");
  note.className = "refusal";
  note.setAttribute("role", "alert");
  note.textContent = `✗ ${statusWords(status)}`;
  form.after(note);
  note.scrollIntoView({ block: "nearest" });
}

function clearRefusal(form) {
  const next = form.nextElementSibling;
  if (next?.matches(".refusal")) next.remove();
}

const root = document.getElementById("podlab");
if (root) new LivePage(root);
