/**
 * API calls as messages travelling across the diagram, one at a time, in
 * the order they happened, at the pace the student picks. The diagram's
 * state follows the messages: a write shows on the picture when its message
 * reaches etcd (onCommit), so the picture never runs ahead of the story.
 */

import { icon } from "./icons.js";
import { FONT } from "./layout.js";
import { centre, edgePoint, fitText, svg, textWidth } from "./svg.js";

/** How long one hop takes at pace 1, in ms. */
const HOP_MS = 1100;
/** A refused call's stop sign stays up this many hops' time. */
const STOP_HOLD = 1.6;
/** Minor calls (reads, heartbeats, leases, events) travel this many times faster. */
const MINOR_SPEEDUP = 2.5;
/** With more calls than this waiting, minor ones are not drawn at all. */
const MINOR_BACKLOG = 3;
/** More queued calls than this and the oldest are skipped to catch up. */
const MAX_BACKLOG = 40;

const ease = (t) => (t < 0.5 ? 2 * t * t : 1 - ((-2 * t + 2) ** 2) / 2);
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
 * @typedef {object} Step  one API call to show
 * @property {object} trace
 * @property {import("./routes.js").Hop[]} hops
 * @property {number} commit a token (the batch's sequence number): once the call
 *   commits (its message reaches etcd) or ends, the picture may show that batch
 * @property {boolean} [minor] a read or a heartbeat: hurried, and not drawn when behind, so
 *   the writes that tell the story keep their pace
 */

export class Player {
  /**
   * @param {import("./diagram.js").Diagram} diagram
   * @param {object} handlers
   * @param {(commit: number) => void} handlers.onCommit the picture may now show batches up to this token
   * @param {(trace: object|null) => void} [handlers.onStep] which call is travelling (null: idle)
   * @param {(skipped: number) => void} [handlers.onSkip] calls skipped to catch up
   */
  constructor(diagram, { onCommit, onStep = () => {}, onSkip = () => {} }) {
    this.diagram = diagram;
    this.onCommit = onCommit;
    this.onStep = onStep;
    this.onSkip = onSkip;
    /** Pace multiplier; 0 means no travel at all. */
    this.pace = 1;
    /** @type {Step[]} */
    this.queue = [];
    /** @type {Step|null} the call travelling now */
    this.current = null;
    this.running = false;
    this.generation = 0;
    this.skipped = 0;
  }

  /** @returns {boolean} whether messages travel */
  get enabled() {
    return this.pace > 0;
  }

  /** @returns {boolean} something is queued or travelling */
  get busy() {
    return this.running || this.queue.length > 0;
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
      this.current = step;
      if (step.hops.length) this.onStep(step.trace);
      for (const hop of step.hops) {
        if (generation !== this.generation) return;
        await this.travel(hop, step.minor ? MINOR_SPEEDUP : 1);
        if (hop.commits) this.onCommit(step.commit);
      }
      if (generation !== this.generation) return;
      this.current = null;
      this.onCommit(step.commit);
    }
    if (generation === this.generation) {
      this.running = false;
      this.onStep(null);
    }
  }

  /** One hop: a labelled message moving from one part to another. */
  travel(hop, speedup = 1) {
    const from = this.diagram.rectOf(hop.from);
    const to = this.diagram.rectOf(hop.to);
    if (!from || !to) return Promise.resolve();
    const anchors = [hop.from, hop.to];
    this.diagram.setTalking(anchors, true);
    const done = () => this.diagram.setTalking(anchors, false);
    const travel = hop.kind === "refused" ? this.refuse(to, hop.label) : this.move(from, to, hop, speedup);
    return travel.then(done, done);
  }

  /** The message pill: a rounded label that is readable over anything. */
  pill(text, kind) {
    const shown = fitText(text, 300, FONT, true);
    const width = textWidth(shown, FONT, true) + 28;
    return svg("g", { class: `msg-pill msg-${kind}` }, [
      svg("rect", { x: -width / 2, y: -19, width, height: 38, rx: 19 }),
      svg("text", { x: 0, y: 7, "text-anchor": "middle" }, [shown]),
    ]);
  }

  move(fromRect, toRect, hop, speedup) {
    const start = edgePoint(fromRect, centre(toRect));
    const end = edgePoint(toRect, centre(fromRect));
    const route = svg("line", { class: `msg-route msg-${hop.kind}`, x1: start.x, y1: start.y, x2: end.x, y2: end.y });
    const pill = this.pill(hop.label, hop.kind);
    const path = pillPath(start, end, Number(pill.firstChild.getAttribute("width")), this.diagram.layout);
    pill.setAttribute("transform", `translate(${path.from.x},${path.from.y})`);
    const group = svg("g", { class: "msg" }, [route, pill]);
    this.diagram.messages.append(group);
    const duration = HOP_MS / this.pace / speedup;
    const generation = this.generation;
    return new Promise((resolve) => {
      const began = performance.now();
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
        if (t < 1) {
          requestAnimationFrame(frame);
        } else {
          group.remove();
          resolve();
        }
      };
      requestAnimationFrame(frame);
    });
  }

  /** A refused call: a stop sign at the API server with the reason. */
  refuse(rect, reason) {
    const { x } = centre(rect);
    const sign = svg("g", { class: "msg msg-stop", transform: `translate(${x},${rect.y + rect.h + 26})` }, [
      this.pill(`refused: ${reason}`, "refused"),
      icon("icon-stop", -24, -78, 48, "stop-icon"),
    ]);
    this.diagram.messages.append(sign);
    const generation = this.generation;
    return new Promise((resolve) => {
      setTimeout(() => {
        sign.remove();
        resolve();
      }, generation === this.generation ? (HOP_MS * STOP_HOLD) / this.pace : 0);
    });
  }
}
