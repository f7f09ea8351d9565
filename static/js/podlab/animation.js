/**
 * API calls as messages travelling across the diagram, one at a time, in
 * the order they happened, at the pace the student picks. The diagram's
 * state follows the messages: a write shows on the picture when its message
 * reaches etcd (onCommit), so the picture never runs ahead of the story.
 * On the way, a request lights the API server's stages (authentication,
 * authorization, admission, validation) in turn, and a scheduling decision
 * marks the nodes (filtered out, scored, chosen) before its binding travels.
 *
 * Nor does the picture fall behind: at Normal pace and faster, each call's
 * change is drawn within LAG_BUDGET_MS of its arrival. When calls queue up,
 * messages travel faster (up to MAX_HURRY times), and past that the oldest
 * calls are folded: drawn at once, without travelling, and counted
 * (onCatchUp) so the page can say so. At slower paces the student asked to
 * follow each call: the budget grows with the square of the slowness (4 s at
 * Slow, 16 s at Very slow), so a slower pace stays slower when hurried.
 */

import { icon } from "./icons.js";
import { FONT } from "./layout.js";
import { centre, edgePoint, fitText, setAttrs, svg, textWidth } from "./svg.js";

/** How long one hop takes at pace 1, in ms, unhurried. */
const HOP_MS = 1100;
/** One stage light at the API server, at pace 1. */
const STAGE_MS = 130;
/** The scheduler's marks on the nodes, before the binding travels, at pace 1. */
const MARKS_MS = 800;
/** The marks then fade out over this long, as the binding sets off (gone before it arrives). */
const MARKS_FADE_MS = 1200;
/** A refused call's stop sign stays up this many hops' time. */
const STOP_HOLD = 1.6;
/** Minor calls (reads, heartbeats, leases, events) travel this many times faster. */
const MINOR_SPEEDUP = 2.5;
/** With more calls than this waiting, minor ones are not drawn at all. */
const MINOR_BACKLOG = 3;
/** More queued calls than this and the oldest are skipped to catch up (at any pace). */
const MAX_BACKLOG = 40;
/** At Normal pace and faster, a call's change is drawn at most this long after it arrived. */
export const LAG_BUDGET_MS = 1000;
/**
 * A call whose messages would have to travel more than this many times faster than the
 * pace is folded instead, as its turn comes; a call already travelling only speeds up.
 */
const MAX_HURRY = 8;
/** How many queued calls the hurry looks ahead at (enough to see a burst coming). */
const LOOKAHEAD = 24;

const REAL_TIMER = {
  now: () => performance.now(),
  frame: (callback) => requestAnimationFrame(callback),
  after: (ms, callback) => setTimeout(callback, ms),
};

/** A node's mark may be this wide, even over a narrower node (the reason matters). */
const MARK_WIDTH = 380;
/** A worker's mark, this far below its top: under its header (layout.js NODE.header). */
const MARK_Y = 66;
/** A refusal's reason may be this wide (the fixed band of the diagram is 1000 units). */
const WIDTH_FOR_REASON = 900;
const DIAGRAM_RIGHT = 992;

const clamp = (value, low, high) => Math.min(Math.max(value, low), high);
const ease = (t) => (t < 0.5 ? 2 * t * t : 1 - ((-2 * t + 2) ** 2) / 2);
/** Control-plane boxes closer than this have their labels wait above them (bandAbove). */
const MIN_LABEL_GAP = 160;
/** The control plane's own boxes (routes.js anchors), side by side in one row. */
const CONTROL_PLANE_BOXES = new Set(["scheduler", "apiserver", "etcd", "controller-manager"]);
/** Half a message pill's height, in canvas units. */
const PILL_HALF_HEIGHT = 19;

/**
 * Where a pill of this width travels between two edge points: from just outside
 * the caller's box to just outside the callee's (so it covers neither's name),
 * or to the gap's middle when the gap is narrower than the pill; always inside
 * the canvas, so no label is cut off at its edge.
 * @returns {{from: {x: number, y: number}, to: {x: number, y: number}}}
 */
function pillPath(start, end, width, canvas) {
  const length = Math.hypot(end.x - start.x, end.y - start.y) || 1;
  const dx = (end.x - start.x) / length;
  const dy = (end.y - start.y) / length;
  const reach = Math.abs(dx) * (width / 2) + Math.abs(dy) * PILL_HALF_HEIGHT;
  const middle = { x: (start.x + end.x) / 2, y: (start.y + end.y) / 2 };
  const roomy = length > 2 * reach;
  const from = roomy ? { x: start.x + dx * reach, y: start.y + dy * reach } : middle;
  const to = roomy ? { x: end.x - dx * reach, y: end.y - dy * reach } : middle;
  const inside = (point) => ({
    x: Math.min(Math.max(point.x, width / 2 + 2), (canvas?.width ?? Infinity) - width / 2 - 2),
    y: Math.min(Math.max(point.y, PILL_HALF_HEIGHT + 2), (canvas?.height ?? Infinity) - PILL_HALF_HEIGHT - 2),
  });
  return { from: inside(from), to: inside(to) };
}

/**
 * @typedef {object} Step  one API call (or one scheduling decision) to show
 * @property {object|null} trace the call, or null for a decision or an empty batch
 * @property {import("./routes.js").Hop[]} hops
 * @property {number} commit a token (the batch's sequence number): once the call
 *   commits (its message reaches etcd) or ends, the picture may show that batch
 * @property {boolean} [minor] a read or a heartbeat: hurried, and not drawn when behind, so
 *   the writes that tell the story keep their pace
 * @property {{narration: string}} [about] what a step that is not a call shows, for onStep
 * @property {number} [arrivedAt] when the page received it (set by enqueue)
 */

/**
 * @typedef {object} Timer  the clock and scheduling the Player runs on (tests pass their own)
 * @property {() => number} now ms
 * @property {(callback: (now: number) => void) => void} frame the next animation frame
 * @property {(ms: number, callback: () => void) => void} after
 */

export class Player {
  /**
   * @param {import("./diagram.js").Diagram} diagram
   * @param {object} handlers
   * @param {(commit: number) => void} handlers.onCommit the picture may now show batches up to this token
   * @param {(trace: object|null) => void} [handlers.onStep] which call is travelling, or what a
   *   decision's step shows ({narration}); null: idle
   * @param {(skipped: number) => void} [handlers.onSkip] calls skipped to catch up (the backlog cap)
   * @param {(folded: number, busy: boolean) => void} [handlers.onCatchUp] calls folded in this burst
   *   to keep the picture within LAG_BUDGET_MS of the store; busy: still catching up
   * @param {Timer} [handlers.timer]
   */
  constructor(diagram, { onCommit, onStep = () => {}, onSkip = () => {}, onCatchUp = () => {}, timer = REAL_TIMER }) {
    this.diagram = diagram;
    this.onCommit = onCommit;
    this.onStep = onStep;
    this.onSkip = onSkip;
    this.onCatchUp = onCatchUp;
    this.timer = timer;
    /** Pace multiplier; 0 means no travel at all. */
    this.pace = 1;
    /** @type {Step[]} */
    this.queue = [];
    /** @type {Step|null} the call travelling now */
    this.current = null;
    this.running = false;
    this.generation = 0;
    this.skipped = 0;
    /** Calls folded since the queue was last empty. */
    this.folded = 0;
    /** The current request's stage lights at the API server. */
    this.stagePanel = null;
  }

  /** @returns {boolean} whether messages travel */
  get enabled() {
    return this.pace > 0;
  }

  /** @returns {boolean} something is queued or travelling */
  get busy() {
    return this.running || this.queue.length > 0;
  }

  /** How long after its arrival a call's change may be drawn, at this pace. */
  get budget() {
    return LAG_BUDGET_MS / Math.min(this.pace, 1) ** 2;
  }

  /**
   * Queue one API call. A call without hops (filtered out, or nothing to
   * draw) still waits its turn, so the picture changes in commit order.
   * @param {Step} step
   */
  enqueue(step) {
    if (!this.enabled || (!this.busy && step.hops.length === 0)) {
      this.onCommit(step.commit);
      return;
    }
    if (!this.busy) {
      this.folded = 0; // a new burst: what the last one folded is told no more
      this.onCatchUp(0, true);
    }
    step.arrivedAt ??= this.timer.now();
    const last = this.queue.at(-1);
    if (step.hops.length === 0 && last) {
      // Nothing to draw (a call the filters hide, a controller's read): it only waits for
      // the call before it, so it rides with it instead of taking a place in the queue,
      // where a steady stream of them (poll mode) would push the story out to catch up.
      last.commit = Math.max(last.commit, step.commit);
      return;
    }
    this.queue.push(step);
    if (this.queue.length > MINOR_BACKLOG) {
      // Behind: minor calls keep their turn (so the picture changes in order) but do not travel.
      for (const queued of this.queue) if (queued.minor) queued.hops = [];
    }
    if (this.queue.length > MAX_BACKLOG) this.catchUp(this.queue.length - MAX_BACKLOG);
    if (!this.running) this.run();
  }

  /** Skip the oldest queued calls, committing what they wrote. */
  catchUp(count) {
    const dropped = this.queue.splice(0, count);
    this.onCommit(Math.max(...dropped.map((step) => step.commit)));
    const travelling = dropped.filter((step) => step.hops.length).length;
    if (travelling) {
      this.skipped += travelling;
      this.onSkip(this.skipped);
    }
  }

  /** Stop everything now: drop the queue, remove messages, commit what was queued. */
  flush() {
    this.generation += 1;
    const pending = this.current ? [this.current, ...this.queue] : this.queue;
    this.queue = [];
    this.current = null;
    this.running = false;
    this.stagePanel = null;
    this.diagram.messages.replaceChildren();
    if (pending.length) this.onCommit(Math.max(...pending.map((step) => step.commit)));
    this.onStep(null);
  }

  /** @param {number} pace 0 (no travel), 0.25 ... 4 */
  setPace(pace) {
    this.pace = pace;
    if (!this.enabled) this.flush();
  }

  async run() {
    this.running = true;
    const generation = this.generation;
    while (this.queue.length && generation === this.generation) {
      const step = this.queue.shift();
      if (step.hops.length && this.hurry(step, 0) > MAX_HURRY) {
        this.fold(step);
        continue;
      }
      this.current = step;
      if (step.hops.length) this.onStep(step.trace ?? step.about ?? null);
      for (const [index, hop] of step.hops.entries()) {
        if (generation !== this.generation) return;
        if (hop.from !== "apiserver") this.clearStages(); // the call has left the API server
        await this.play(hop, step, this.hurry(step, index));
        if (hop.commits) {
          step.committed = true;
          this.onCommit(step.commit);
        }
      }
      if (generation !== this.generation) return;
      this.clearStages();
      this.current = null;
      this.onCommit(step.commit);
    }
    if (generation === this.generation) {
      this.running = false;
      this.onStep(null);
      if (this.folded) this.onCatchUp(this.folded, false);
    }
  }

  clearStages() {
    this.stagePanel?.remove();
    this.stagePanel = null;
  }

  /** Draw a call's change at once, without its messages, to catch up with the store. */
  fold(step) {
    this.onCommit(step.commit);
    if (!step.trace) return; // a scheduling decision: its binding still tells where the pod went
    this.folded += 1;
    this.onCatchUp(this.folded, true);
  }

  /** A hop's duration at this pace, unhurried, in ms. */
  hopMs(hop, step) {
    let ms = HOP_MS;
    if (hop.kind === "stages") ms = STAGE_MS * hop.stages.length;
    else if (hop.kind === "marks") ms = MARKS_MS;
    else if (hop.kind === "refused") ms = HOP_MS * STOP_HOLD;
    return ms / this.pace / (step.minor ? MINOR_SPEEDUP : 1);
  }

  /**
   * How many times faster than the pace the next hop of step (hops[from]) must go, so
   * that this call's change and each queued call's are drawn within the budget of
   * their arrival: the time it takes unhurried to reach each call's commit (its write
   * reaching etcd, or its end), against the time that call has left.
   */
  hurry(step, from) {
    const now = this.timer.now();
    let ahead = 0;
    let factor = 1;
    const chain = [[step, from], ...this.queue.slice(0, LOOKAHEAD).map((queued) => [queued, 0])];
    for (const [call, start] of chain) {
      let untilCommit = null;
      let total = 0;
      for (const hop of call.hops.slice(start)) {
        total += this.hopMs(hop, call);
        if (hop.commits) untilCommit = total;
      }
      if (!call.committed) {
        const left = call.arrivedAt + this.budget - now;
        factor = Math.max(factor, (ahead + (untilCommit ?? total)) / Math.max(left, 1));
      }
      ahead += total;
    }
    return factor;
  }

  /** One hop, at its pace made faster by hurry. */
  play(hop, step, hurry) {
    const ms = this.hopMs(hop, step) / hurry;
    if (hop.kind === "stages") return this.lightStages(hop.stages, ms);
    if (hop.kind === "marks") return this.markNodes(hop.decision, ms);
    if (hop.kind === "refused") return this.refuse(hop, ms);
    return this.travel(hop, ms);
  }

  wait(ms) {
    return new Promise((resolve) => this.timer.after(ms, resolve));
  }

  /** One hop: a labelled message moving from one part to another. */
  travel(hop, ms) {
    const from = this.diagram.rectOf(hop.from);
    const to = this.diagram.rectOf(hop.to);
    if (!from || !to) return Promise.resolve();
    const anchors = [hop.from, hop.to];
    this.diagram.setTalking(anchors, true);
    const done = () => this.diagram.setTalking(anchors, false);
    return this.move(from, to, hop, ms).then(done, done);
  }

  /** The message pill: a rounded label that is readable over anything. */
  pill(text, kind, maxWidth = 380) {
    const shown = fitText(text, maxWidth, FONT, true);
    const width = textWidth(shown, FONT, true) + 28;
    return svg("g", { class: `msg-pill msg-${kind}` }, [
      svg("rect", { x: -width / 2, y: -19, width, height: 38, rx: 19 }),
      svg("text", { x: 0, y: 7, "text-anchor": "middle" }, [shown]),
    ]);
  }

  move(fromRect, toRect, hop, duration) {
    const start = edgePoint(fromRect, centre(toRect));
    const end = edgePoint(toRect, centre(fromRect));
    const route = svg("line", { class: `msg-route msg-${hop.kind}`, x1: start.x, y1: start.y, x2: end.x, y2: end.y });
    const band = this.bandAbove(hop, start, end);
    const pill = band ? this.pill(hop.label, hop.kind, band.right - band.left - 28) : this.pill(hop.label, hop.kind);
    const width = Number(pill.firstChild.getAttribute("width"));
    const path = band ? this.aboveTheBoxes(band, hop, start, end, width) : pillPath(start, end, width, this.diagram.layout);
    pill.setAttribute("transform", `translate(${path.from.x},${path.from.y})`);
    // A label waiting above the boxes has a dot that travels the route for it.
    const dot = path.leader ? svg("circle", { class: `msg-dot msg-${hop.kind}`, cx: start.x, cy: start.y, r: 7 }) : null;
    const parts = path.leader ? [route, path.leader, dot, pill] : [route, pill];
    const group = svg("g", { class: "msg" }, parts);
    this.diagram.messages.append(group);
    const generation = this.generation;
    return new Promise((resolve) => {
      const began = this.timer.now();
      const frame = (now) => {
        if (generation !== this.generation) {
          group.remove();
          resolve();
          return;
        }
        const t = Math.min(1, (now - began) / duration);
        const k = ease(t);
        const { from, to } = path;
        pill.setAttribute("transform", `translate(${from.x + (to.x - from.x) * k},${from.y + (to.y - from.y) * k})`);
        if (dot) {
          const x = start.x + (end.x - start.x) * k;
          const y = start.y + (end.y - start.y) * k;
          setAttrs(dot, { cx: x, cy: y });
          setAttrs(path.leader, { x2: x, y2: y });
        }
        if (t < 1) {
          this.timer.frame(frame);
        } else {
          group.remove();
          resolve();
        }
      };
      this.timer.frame(frame);
    });
  }

  /**
   * Between two control-plane boxes side by side (the scheduler and the API server, the
   * API server and etcd) the gap is narrower than any label: the label waits in the
   * control plane's title row above them instead (bandAbove, aboveTheBoxes), so that
   * neither box's name is covered.
   * @returns {{left: number, right: number, bottom: number}|null} null: the usual path
   */
  bandAbove(hop, start, end) {
    const inside = [hop.from, hop.to].every((anchor) => CONTROL_PLANE_BOXES.has(anchor));
    const gap = Math.abs(end.x - start.x);
    if (!inside || gap >= MIN_LABEL_GAP || Math.abs(end.y - start.y) > gap) return null;
    const band = this.diagram.controlPlaneBand?.();
    return band && band.right - band.left >= MIN_LABEL_GAP ? band : null;
  }

  /**
   * The label in the band, tied by a leader line to a dot that travels the route.
   * @returns {{from: object, to: object, leader: SVGElement}}
   */
  aboveTheBoxes(band, hop, start, end, width) {
    const middle = (start.x + end.x) / 2;
    const at = { x: clamp(middle, band.left + width / 2, band.right - width / 2), y: band.bottom - PILL_HALF_HEIGHT - 3 };
    const leader = svg("line", {
      class: `msg-leader msg-${hop.kind}`, x1: at.x, y1: at.y + PILL_HALF_HEIGHT, x2: start.x, y2: start.y,
    });
    return { from: at, to: at, leader };
  }

  /**
   * The request at the API server: one light per stage the trace records, lit in turn,
   * green if passed, red where a refusal stopped it, grey if never reached. The lights
   * stay while the call goes on from the API server (to etcd, with the answer).
   */
  async lightStages(stages, ms) {
    const rect = this.diagram.rectOf("apiserver");
    if (!rect) return;
    const rowHeight = 23;
    const top = rect.y + 46;
    const rows = stages.map((entry, index) => {
      const y = top + index * rowHeight;
      return svg("g", { class: "stage", "data-stage": entry.stage }, [
        svg("circle", { class: "stage-light", cx: rect.x + 22, cy: y + 11, r: 7 }),
        svg("text", { class: "stage-text", x: rect.x + 36, y: y + 17 }, [entry.stage]),
      ]);
    });
    this.stagePanel?.remove();
    this.stagePanel = svg("g", { class: "stage-panel", "aria-hidden": "true" }, [
      svg("rect", { class: "stage-panel-box", x: rect.x + 8, y: top - 4, width: rect.w - 16, height: rows.length * rowHeight + 8, rx: 8 }),
      ...rows,
    ]);
    this.diagram.messages.append(this.stagePanel);
    const generation = this.generation;
    for (const [index, entry] of stages.entries()) {
      await this.wait(ms / stages.length);
      if (generation !== this.generation) return;
      const state = entry.ok === null || entry.ok === undefined ? "unreached" : entry.ok ? "passed" : "failed";
      rows[index].classList.add(`stage-${state}`);
      rows[index].lastChild.textContent = `${entry.stage} ${{ passed: "✓", failed: "✗", unreached: "–" }[state]}`;
    }
  }

  /**
   * The scheduler's decision on the nodes: each node a filter ruled out shows why, each
   * feasible node its total score, the chosen one is outlined. The marks fade out while
   * the binding (or the pending status) travels.
   */
  async markNodes(decision, ms) {
    const layer = svg("g", { class: "marks", "data-pod": `${decision.pod.namespace}/${decision.pod.name}` });
    const controlPlane = this.diagram.layout?.controlPlaneNodes ?? [];
    for (const node of decision.nodes) {
      const anchor = controlPlane.includes(node.name) ? `kubelet:${node.name}` : `node:${node.name}`;
      const rect = this.diagram.rectOf(anchor);
      if (!rect || rect === this.diagram.layout?.workersArea) continue; // not drawn (a big cluster)
      layer.append(this.nodeMark(node, rect, decision));
    }
    this.diagram.messages.append(layer);
    this.diagram.setTalking(["scheduler"], true);
    await this.wait(ms);
    this.diagram.setTalking(["scheduler"], false);
    // ms is the marks' time at this pace, hurried as the queue needs: the fade keeps
    // the same proportion, so the marks are gone before the binding arrives.
    const fadeMs = (ms * MARKS_FADE_MS) / MARKS_MS;
    layer.classList.add("fading");
    layer.style.setProperty("--fade-ms", `${fadeMs}ms`);
    this.timer.after(fadeMs, () => layer.remove());
  }

  nodeMark(node, rect, decision) {
    const chosen = node.name === decision.node;
    let kind = "filtered";
    let text = `✗ ${node.reason || node.plugin}`;
    if (node.feasible) {
      kind = chosen ? "chosen" : "feasible";
      const score = decision.feasible_nodes > 1 ? `score ${node.score}` : "passes every filter";
      text = chosen ? `✓ chosen: ${score}` : score;
    }
    const mark = svg("g", { class: `mark mark-${kind}`, "data-node": node.name });
    if (chosen) {
      mark.append(svg("rect", { class: "mark-outline", x: rect.x - 3, y: rect.y - 3, width: rect.w + 6, height: rect.h + 6, rx: 15 }));
    }
    // On a worker, just under its name (over its tags and components for a moment); on the
    // control plane's kubelet chip. Wider than a narrow node if the reason needs it, but
    // always on the canvas.
    const pill = this.pill(text, `mark-${kind}`, Math.max(rect.w - 16, MARK_WIDTH));
    const half = Number(pill.firstChild.getAttribute("width")) / 2;
    const right = this.diagram.canvas?.width ?? DIAGRAM_RIGHT;
    const x = clamp(rect.x + rect.w / 2, half + 4, right - half - 4);
    const y = rect.barsY === undefined ? rect.y + rect.h / 2 : rect.y + MARK_Y;
    pill.setAttribute("transform", `translate(${x},${y})`);
    mark.append(pill);
    if (node.plugin) mark.setAttribute("data-plugin", node.plugin);
    return mark;
  }

  /** A refused call: a stop sign under the API server, the code, and why on a line below. */
  refuse(hop, ms) {
    const rect = this.diagram.rectOf("apiserver");
    if (!rect) return Promise.resolve();
    const { x } = centre(rect);
    const code = this.pill(`refused: ${hop.label}`, "refused");
    const half = Number(code.firstChild.getAttribute("width")) / 2;
    // Beside the code, not above it: above are the stage lights that show where it stopped.
    const parts = [code, icon("icon-stop", -half - 50, -22, 44, "stop-icon")];
    if (hop.detail) {
      const why = this.pill(hop.detail, "refused-why", WIDTH_FOR_REASON);
      const width = Number(why.firstChild.getAttribute("width"));
      const shift = clamp(x, width / 2 + 8, DIAGRAM_RIGHT - width / 2) - x;
      why.setAttribute("transform", `translate(${shift},44)`);
      parts.push(why);
    }
    const sign = svg("g", { class: "msg msg-stop", transform: `translate(${x},${rect.y + rect.h + 26})` }, parts);
    this.diagram.messages.append(sign);
    const generation = this.generation;
    return new Promise((resolve) => {
      this.timer.after(generation === this.generation ? ms : 0, () => {
        sign.remove();
        resolve();
      });
    });
  }
}
