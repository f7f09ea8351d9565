/**
 * The cluster drawn as SVG: the user with kubectl, the control plane
 * (kube-apiserver, etcd, kube-scheduler, kube-controller-manager), the
 * Pending tray, the workloads (workload_view.js) and the worker nodes with
 * their pods.
 *
 * render(state) is incremental: elements are keyed by node name and pod key,
 * and an element is touched only when its position or its content changed,
 * so a 100-node, 1,000-pod sandbox redraws a change in well under a frame.
 */

import { diagramDefs, icon } from "./icons.js";
import { FIXED, FONT, layoutCluster, TITLE_FONT, WIDTH, WIDTHS } from "./layout.js";
import { formatCpu, formatMemory, cpuMillis, memoryBytes, podRequests } from "./quantity.js";
import { ICON_BY_KIND, nodeStatus, podStatus } from "./status.js";
import { fitText, setAttrs, setText, svg, textWidth } from "./svg.js";
import { clockTime } from "./timeline.js";
import { SMALL_FONT } from "./units.js";
import { workloadRect } from "./workload_layout.js";
import { WorkloadsView } from "./workload_view.js";
import { ownerWords } from "./workloads.js";

const TERMINAL_PHASES = new Set(["Succeeded", "Failed"]);
/** Pod kinds whose status is drawn bold (see sandbox.css). */
const ALARMING_KINDS = new Set(["crash", "failed", "image"]);
/**
 * At most this many new nodes and pods per frame: a big cluster's first
 * draw shows its top (what is on screen) in the first frame and fills in
 * the rest in the frames after, instead of one long frame.
 */
const PARTS_PER_FRAME = 250;
/** Never draw smaller than this (20-unit text stays >= 16 px), unless the window is narrower. */
const MIN_SCALE = 0.8;
/** Below this window width the page is one column and the diagram only fits the width. */
const ONE_COLUMN = "(max-width: 1000px)";
/** The least width of the picture in one column, in px (text at about 13 px). */
const ONE_COLUMN_MIN_WIDTH = 640;
/** A wider canvas must make the picture this much larger to be worth the change. */
const WIDER_GAIN = 1.08;
/** The picture zooms in again only when it would grow by more than this (no jitter). */
const REGROW = 1.15;

/** A focusable, clickable group: a real button for keyboard and screen reader users. */
function actionGroup(className, open, label, extra = {}) {
  return svg("g", {
    class: className,
    tabindex: 0,
    role: "button",
    "aria-label": label,
    "data-open": open,
    ...extra,
  });
}

/**
 * A failing component's error and since when, in words.
 * @param {{failure: string, since: string|null}} failure
 * @returns {string}
 */
function failureWords({ failure, since }) {
  return since ? `${failure} (since ${clockTime(since)} UTC)` : failure;
}

function label(x, y, text, className, attrs = {}) {
  return svg("text", { x, y, class: className, ...attrs }, [text]);
}

/** A box for a control-plane component: title, subtitle, a "down" overlay. */
function componentBox(rect, { className, open, title, subtitle }) {
  const group = actionGroup(`component ${className}`, open, title);
  const box = svg("rect", { class: "box", x: rect.x, y: rect.y, width: rect.w, height: rect.h, rx: 12 });
  const hatch = svg("rect", { class: "down-hatch", x: rect.x, y: rect.y, width: rect.w, height: rect.h, rx: 12 });
  const titleText = label(rect.x + 16, rect.y + 34, title, "title");
  const subtitleText = label(rect.x + 16, rect.y + 64, subtitle, "subtitle");
  const badge = svg("g", { class: "down-badge", transform: `translate(${rect.x + 14},${rect.y + 44})` }, [
    svg("rect", { width: 138, height: 32, rx: 6 }),
    icon("icon-cross", 7, 5, 22),
    label(35, 23, "STOPPED", "badge-text"),
  ]);
  const tooltip = svg("title", {}, [title]);
  group.append(tooltip, box, hatch, titleText, subtitleText, badge);
  return { group, subtitle: subtitleText, tooltip };
}

/** The terminal's text size, and the wider window's that shows a whole command. */
const TERMINAL_FONT = 20;
const COMMAND_FONT = 18;
/** What the terminal says of a fault the sandbox injects. */
const NO_KUBECTL = "# no kubectl command for this: Podlab injects the fault";
/** A monospace character is this wide, in ems. */
const MONO_EM = 0.6;
/** Once its calls have travelled, the wide window stays this long, then folds into the terminal. */
const COMMAND_LINGER_MS = 2500;

/** As much of a command as fits a monospace line maxWidth wide. */
function fitMono(text, maxWidth, fontSize) {
  const room = Math.floor(maxWidth / (fontSize * MONO_EM));
  return text.length <= room ? text : `${text.slice(0, Math.max(room - 1, 1)).trimEnd()}…`;
}

/** The person at the keyboard, with a terminal running kubectl. */
function userFigure(user) {
  const { x, y, w } = FIXED.user;
  const cx = x + w / 2;
  const term = FIXED.terminal;
  const typed = label(term.x + 8, term.y + 54, "▌", "terminal-text");
  const group = svg("g", { class: "user" }, [
    svg("rect", { class: "box user-box", x, y, width: w, height: FIXED.user.h, rx: 12 }),
    svg("circle", { class: "person", cx, cy: y + 38, r: 21 }),
    svg("path", { class: "person", d: `M${cx - 38} ${y + 108} q0 -40 38 -40 q38 0 38 40 z` }),
    svg("rect", { class: "terminal", x: term.x, y: term.y, width: term.w, height: term.h, rx: 8 }),
    label(term.x + 8, term.y + 29, "$ kubectl", "terminal-text"),
    typed,
    label(cx, y + 216, fitText(user, w - 12, FONT, true), "title", { "text-anchor": "middle" }),
  ]);
  return { group, typed };
}

/** The terminal opened wide under the small one, to show a whole command. */
function commandWindow() {
  const term = FIXED.terminal;
  const text = label(term.x + 12, term.y + term.h + 32, "", "terminal-text command-text");
  const box = svg("rect", { class: "terminal", x: term.x, y: term.y + term.h + 6, height: 40, rx: 8 });
  const group = svg("g", { class: "command-window", visibility: "hidden", "aria-hidden": "true" }, [box, text]);
  return { group, box, text };
}

/** etcd as the database cylinder everyone draws. */
function etcdCylinder() {
  const { x, y, w, h } = FIXED.etcd;
  const rx = w / 2;
  const ry = 22;
  const group = actionGroup("component etcd", "etcd", "etcd, the cluster's store");
  const body = `M${x} ${y + ry} v${h - 2 * ry} a${rx} ${ry} 0 0 0 ${w} 0 v${-(h - 2 * ry)}`;
  const revision = label(x + rx, y + 140, "revision 0", "title", { "text-anchor": "middle" });
  group.append(
    svg("path", { class: "box", d: `${body} a${rx} ${ry} 0 0 0 ${-w} 0 z` }),
    svg("ellipse", { class: "box etcd-top", cx: x + rx, cy: y + ry, rx, ry }),
    label(x + rx, y + 76, "etcd", "title big", { "text-anchor": "middle" }),
    label(x + rx, y + 104, "source of truth", "subtitle", { "text-anchor": "middle" }),
    revision,
  );
  return { group, revision };
}

/** One worker node: box, header (a button), taints, components, bars, pods. */
class NodeView {
  constructor(name) {
    this.name = name;
    this.g = svg("g", { class: "node", "data-node": name });
    this.box = svg("rect", { class: "node-box", rx: 12, "data-open": "node", "data-name": name });
    this.hatch = svg("rect", { class: "node-hatch", rx: 12 });
    this.head = actionGroup("node-head", "node", `node ${name}`, { "data-name": name });
    this.nameText = label(14, 31, name, "title");
    this.badge = svg("g", { class: "node-badge" });
    this.head.append(svg("rect", { class: "head-hit", height: 42 }), this.nameText, this.badge);
    this.details = svg("g", { class: "node-details" });
    this.empty = label(14, 0, "no pods", "subtitle empty-note");
    this.pods = svg("g", { class: "node-pods" });
    this.g.append(this.box, this.hatch, this.head, this.details, this.empty, this.pods);
    this.positionSig = "";
    this.contentSig = "";
  }

  /**
   * @param {import("./layout.js").WorkerLayout} worker
   * @param {import("./status.js").NodeStatus} status
   * @param {{cpu: number, memory: number}} used requested by its pods
   */
  update(worker, status, used, failure = null) {
    const positionSig = `${worker.x},${worker.y},${worker.w},${worker.h}`;
    if (positionSig !== this.positionSig) {
      this.positionSig = positionSig;
      setAttrs(this.g, { transform: `translate(${worker.x},${worker.y})` });
      for (const rect of [this.box, this.hatch]) setAttrs(rect, { width: worker.w, height: worker.h });
      setAttrs(this.head.querySelector(".head-hit"), { width: worker.w });
    }
    const allocatable = worker.node.status?.allocatable ?? {};
    const contentSig = JSON.stringify([
      worker.w, status.label, status.down, status.kubeletRunning, worker.tags, worker.chips,
      worker.barsY, worker.podsY, used, allocatable.cpu, allocatable.memory, worker.pods.length === 0,
      failure?.failure,
    ]);
    if (contentSig === this.contentSig) return;
    this.contentSig = contentSig;
    this.g.classList.toggle("down", status.down);
    this.g.classList.toggle("cordoned", !status.schedulable);
    this.drawBadge(worker, status);
    this.drawDetails(worker, status, used, allocatable, failure);
    setAttrs(this.empty, { y: worker.podsY + 22 });
    this.empty.style.display = worker.pods.length ? "none" : "";
    const failing = status.kubeletRunning && failure ? `its kubelet is failing: ${failureWords(failure)}` : "";
    const why = !status.kubeletRunning
      ? "its kubelet is stopped; the API server keeps the last status it heard until the node monitor grace period passes"
      : failing || status.reason;
    const kubelet = !status.kubeletRunning ? ", kubelet stopped" : failing ? ", kubelet failing" : "";
    setAttrs(this.head, { "aria-label": `node ${this.name}: ${status.label}${kubelet}` });
    this.head.querySelector("title")?.remove();
    this.head.append(svg("title", {}, [`${this.name}: ${status.label}${why ? ` (${why})` : ""}`]));
  }

  drawBadge(worker, status) {
    let text = status.ready;
    let kind = status.ready === "Ready" ? "ok" : "bad";
    if (status.ready === "Ready" && !status.kubeletRunning) {
      text = "DOWN";
      kind = "bad";
    }
    const width = textWidth(text, FONT, true) + 46;
    const iconId = kind === "ok" ? "icon-check" : "icon-cross";
    this.badge.replaceChildren(
      svg("rect", { class: `badge ${kind}`, width, height: 32, rx: 6 }),
      icon(iconId, 6, 5, 22),
      label(34, 23, text, "badge-text"),
    );
    setAttrs(this.badge, { class: `node-badge ${kind}`, transform: `translate(${worker.w - width - 10},7)` });
    setText(this.nameText, fitText(this.name, worker.w - width - 40, TITLE_FONT, true));
  }

  drawDetails(worker, status, used, allocatable, failure) {
    const parts = [];
    for (const tag of worker.tags) {
      parts.push(svg("g", { class: `tag ${tag.kind}`, transform: `translate(${tag.x},${tag.y})` }, [
        svg("rect", { width: tag.w, height: tag.h, rx: 6 }),
        label(10, 22, fitText(tag.text, tag.w - 16, FONT), "tag-text"),
      ]));
    }
    for (const chip of worker.chips) {
      const stopped = Boolean(chip.stopped);
      const failing = chip.id === "kubelet" && !stopped && Boolean(failure);
      const chipClass = `chip chip-${chip.id}${stopped ? " stopped" : ""}${failing ? " failing" : ""}`;
      const children = [svg("rect", { width: chip.w, height: chip.h, rx: 8 })];
      if (failing) children.push(svg("title", {}, [`kubelet failing: ${failureWords(failure)}`]));
      let textX = 12;
      if (chip.icon) {
        children.push(icon(stopped ? "icon-cross" : failing ? "icon-warning" : "icon-check", 8, 7, 22));
        textX = 36;
      }
      const text = failing ? "kubelet failing" : chip.text;
      children.push(label(textX, 25, fitText(text, chip.w - textX - 8, FONT, stopped || failing), "chip-text"));
      parts.push(svg("g", { class: chipClass, transform: `translate(${chip.x},${chip.y})`, "data-open": "node", "data-name": this.name }, children));
    }
    const inner = worker.w - 2 * worker.pad;
    const bars = [
      ["CPU", used.cpu, cpuMillis(allocatable.cpu), formatCpu],
      ["Memory", used.memory, memoryBytes(allocatable.memory), formatMemory],
    ];
    const nameWidth = textWidth("Memory", FONT, true) + 12;
    bars.forEach(([name, value, total, format], index) => {
      const y = worker.barsY + index * 34;
      const share = total ? value / total : 0;
      const valueText = `${format(value)} / ${format(total)}`;
      const track = Math.max(24, inner - nameWidth - textWidth(valueText, FONT) - 12);
      const fill = Math.max(0, Math.min(1, share)) * track;
      parts.push(svg("g", { class: `bar${share > 0.9 ? " full" : ""}`, transform: `translate(${worker.pad},${y})` }, [
        label(0, 22, name, "bar-name"),
        svg("rect", { class: "bar-track", x: nameWidth, y: 8, width: track, height: 16, rx: 4 }),
        svg("rect", { class: "bar-fill", x: nameWidth, y: 8, width: fill, height: 16, rx: 4 }),
        label(inner, 22, valueText, "bar-value", { "text-anchor": "end" }),
        svg("title", {}, [`${name}: its pods request ${format(value)} of ${format(total)} allocatable (${Math.round(share * 100)}%)`]),
      ]));
    });
    this.details.replaceChildren(...parts);
  }
}

/**
 * One pod card. Its parts are placed with x/y, not a group transform: a
 * thousand transforms make the browser's compositing step slow.
 */
class PodView {
  constructor(key, pod) {
    const { namespace = "default", name = "?" } = pod.metadata ?? {};
    this.key = key;
    this.g = actionGroup("pod", "pod", `pod ${name}`, { "data-namespace": namespace, "data-name": name, "data-key": key });
    this.card = svg("rect", { class: "card", rx: 8 });
    this.nameText = label(0, 0, name, "pod-name");
    this.icon = icon("icon-clock", 0, 0, 22);
    this.statusText = label(0, 0, "", "pod-status");
    this.restartsText = label(0, 0, "", "pod-restarts", { "text-anchor": "end" });
    /** Small print: the pod's owner ("rs web-7d4b9"), so a ReplicaSet's pods can be told. */
    this.ownerText = label(0, 0, "", "pod-owner", { "text-anchor": "end" });
    this.title = svg("title");
    this.g.append(this.card, this.icon, this.nameText, this.statusText, this.restartsText, this.ownerText, this.title);
    this.sig = "";
    this.parent = null;
  }

  /**
   * @param {import("./svg.js").Rect} slot position in its parent
   * @param {object} pod
   * @param {import("./status.js").PodStatus} status
   * @param {"normal"|"compact"} density
   * @param {string} where "" on its worker, else where it is instead ("node-3 is gone")
   */
  update(slot, pod, status, density, where) {
    const owner = ownerWords(pod);
    const sig = `${slot.x},${slot.y},${slot.w},${slot.h},${density},${status.label},${status.restarts},${status.message},${where},${owner}`;
    if (sig === this.sig) return;
    this.sig = sig;
    const { namespace, name } = pod.metadata;
    const { x, y, w, h } = slot;
    const compact = density === "compact";
    setAttrs(this.g, {
      class: `pod st-${status.kind}`,
      "aria-label": `pod ${name}: ${status.label}${status.restarts ? `, ${status.restarts} restarts` : ""}`,
    });
    setAttrs(this.card, { x, y, width: w, height: h });
    setAttrs(this.icon, { href: `#${ICON_BY_KIND[status.kind]}`, x: x + (compact ? 8 : 10), y: y + (compact ? 9 : 32) });
    // RESTARTS sits on the name line, so the status label keeps the whole second line.
    const restarts = status.restarts ? `↻ ${status.restarts}` : "";
    const restartsRoom = restarts ? textWidth(restarts, FONT, true) + 14 : 0;
    setText(this.restartsText, restarts);
    setAttrs(this.restartsText, { x: x + w - 10, y: y + (compact ? 27 : 25) });
    if (compact) {
      setAttrs(this.nameText, { x: x + 36, y: y + 27 });
      setText(this.nameText, fitText(name, w - 44 - restartsRoom, FONT, true));
      setText(this.statusText, "");
      setText(this.ownerText, "");
    } else {
      setAttrs(this.nameText, { x: x + 12, y: y + 25 });
      setText(this.nameText, fitText(name, w - 20 - restartsRoom, FONT, true));
      const statusLine = where ? `${status.label} · ${where}` : status.label;
      const alarming = ALARMING_KINDS.has(status.kind); // drawn bold
      setAttrs(this.statusText, { x: x + 38, y: y + 50 });
      // The status keeps its line; the owner takes what room is left after it, if enough.
      const statusText = fitText(statusLine, w - 48, FONT, alarming);
      setText(this.statusText, statusText);
      const ownerRoom = w - 48 - textWidth(statusText, FONT, alarming) - 14;
      const ownerText = owner && ownerRoom >= textWidth("rs …", SMALL_FONT) ? fitText(owner, ownerRoom, SMALL_FONT) : "";
      setText(this.ownerText, ownerText);
      setAttrs(this.ownerText, { x: x + w - 10, y: y + 50 });
    }
    const detail = [owner ? `owned by ${owner}` : "", status.restarts ? `${status.restarts} restarts` : "", where, status.message]
      .filter(Boolean).join("; ");
    setText(this.title, `${namespace}/${name}: ${status.label}${detail ? ` (${detail})` : ""}`);
  }
}

export class Diagram {
  /**
   * @param {HTMLElement} container where the <svg> goes
   * @param {object} [options]
   * @param {string} [options.user] the student's name, under the person
   * @param {(kind: string, target: {name?: string, namespace?: string}) => void} [options.onOpen]
   *   a pod, node or component was clicked or activated with the keyboard
   */
  constructor(container, { user = "you", onOpen = () => {}, onComplete = () => {} } = {}) {
    this.onOpen = onOpen;
    this.onComplete = onComplete;
    /** Some nodes are not drawn yet (see PARTS_PER_FRAME); the next frame draws more. */
    this.unfinished = false;
    this.fillQueued = false;
    this.container = container;
    this.animate = true;
    this.root = svg("svg", {
      class: "diagram",
      viewBox: `0 0 ${WIDTH} 800`,
      role: "group",
      "aria-label": "Cluster diagram",
      "font-size": FONT,
    });
    this.fixedLayer = svg("g", { class: "fixed" });
    this.trayLayer = svg("g", { class: "tray" });
    this.workloadsView = new WorkloadsView();
    this.workersLayer = svg("g", { class: "workers" });
    /** Messages travel on this layer, above everything. */
    this.messages = svg("g", { class: "messages", "aria-hidden": "true" });
    /** One focus ring, moved to whatever has keyboard focus (cheaper than one per element). */
    this.focusRing = svg("g", { class: "focus-ring", visibility: "hidden" }, [
      svg("rect", { class: "focus-halo", rx: 12 }),
      svg("rect", { class: "focus-line", rx: 12 }),
    ]);
    this.root.append(
      diagramDefs(), this.fixedLayer, this.trayLayer, this.workloadsView.g, this.workersLayer, this.focusRing, this.messages,
    );
    this.root.addEventListener("focusin", (event) => this.showFocus(event.target));
    this.root.addEventListener("focusout", () => setAttrs(this.focusRing, { visibility: "hidden" }));
    this.buildFixed(user);
    container.replaceChildren(this.root);
    /** @type {Map<string, NodeView>} */
    this.nodeViews = new Map();
    /** @type {Map<string, PodView>} keyed by pod key + uid */
    this.podViews = new Map();
    this.layout = null;
    this.highlighted = [];
    this.fittedTo = "";
    this.fittedWidth = 0;
    this.scale = 0;
    this.canvas = { width: WIDTH, key: "" };
    this.lastState = null;
    this.drawn = false;
    /** The box's size, kept by a ResizeObserver: reading clientWidth here would force a layout. */
    this.box = { width: container.clientWidth, height: container.clientHeight };
    new ResizeObserver(([entry]) => {
      const box = { width: Math.floor(entry.contentRect.width), height: Math.floor(entry.contentRect.height) };
      // Its first report is the size already read: no need to draw again.
      if (box.width === this.box.width && box.height === this.box.height) return;
      this.box = box;
      if (this.lastState) this.render(this.lastState);
    }).observe(container);
    this.root.addEventListener("click", (event) => this.activate(event));
    this.root.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") this.activate(event);
    });
  }

  buildFixed(user) {
    const cp = FIXED.controlPlane;
    this.cpTitle = label(cp.x + 18, cp.y + 31, "Control plane", "title section-title");
    this.cpNodes = label(cp.x + cp.w - 18, cp.y + 31, "", "subtitle", { "text-anchor": "end" });
    /** @type {number|null} whole sandbox seconds until the scheduler's next ask (poll mode) */
    this.nextAsk = null;
    /** How often the scheduler asks in poll mode (the snapshot's sandbox.pollSeconds). */
    this.pollSeconds = 5;
    this.scheduler = componentBox(FIXED.scheduler, {
      className: "scheduler", open: "scheduler", title: "kube-scheduler", subtitle: "picks a node",
    });
    this.controllerManager = componentBox(FIXED.controllerManager, {
      className: "controller-manager", open: "controller-manager", title: "controller manager",
      subtitle: "actual → desired",
    });
    const api = FIXED.apiserver;
    const apiserver = actionGroup("component apiserver", "apiserver", "kube-apiserver, the front door");
    const middle = api.x + api.w / 2;
    apiserver.append(
      svg("rect", { class: "box", x: api.x, y: api.y, width: api.w, height: api.h, rx: 14 }),
      label(middle, api.y + 38, "kube-apiserver", "title", { "text-anchor": "middle" }),
      label(middle, api.y + 68, "the front door", "subtitle", { "text-anchor": "middle" }),
      label(middle, api.y + 95, "only path to etcd", "subtitle", { "text-anchor": "middle" }),
    );
    const kubelet = FIXED.cpKubelet;
    this.cpKubelet = svg("g", { class: "chip chip-kubelet cp-kubelet", "data-open": "node" });
    this.cpKubeletIcon = icon("icon-check", kubelet.x + 10, kubelet.y + 11, 24);
    this.cpKubeletText = label(kubelet.x + 42, kubelet.y + 30, "kubelet", "chip-text");
    this.cpKubelet.append(
      svg("rect", { x: kubelet.x, y: kubelet.y, width: kubelet.w, height: kubelet.h, rx: 8 }),
      this.cpKubeletIcon,
      this.cpKubeletText,
    );
    this.etcd = etcdCylinder();
    const person = userFigure(user);
    this.typed = person.typed;
    this.command = commandWindow();
    this.commandTimer = 0;
    this.fixedLayer.append(
      person.group,
      svg("rect", { class: "control-plane", x: cp.x, y: cp.y, width: cp.w, height: cp.h, rx: 16 }),
      this.cpTitle,
      this.cpNodes,
      this.scheduler.group,
      this.controllerManager.group,
      apiserver,
      this.cpKubelet,
      this.etcd.group,
      this.command.group,
    );
    this.fixedGroups = {
      user: this.fixedLayer.querySelector(".user"),
      scheduler: this.scheduler.group,
      "controller-manager": this.controllerManager.group,
      apiserver,
      etcd: this.etcd.group,
    };
    this.trayBox = svg("rect", { class: "tray-box", rx: 14 });
    this.trayTitle = label(0, 0, "", "title section-title");
    this.trayMore = label(0, 0, "", "subtitle", { "text-anchor": "end" });
    this.trayEmpty = label(0, 0, "empty: every pod has a node", "subtitle empty-note");
    this.trayPods = svg("g", { class: "tray-pods" });
    this.trayLayer.append(this.trayBox, this.trayTitle, this.trayMore, this.trayEmpty, this.trayPods);
    this.workersTitle = label(0, 0, "", "title section-title");
    this.workersEmpty = label(0, 0, "No worker nodes: pods have nowhere to run.", "subtitle empty-note");
    this.workersLayer.append(this.workersTitle, this.workersEmpty);
  }

  /** Draw the focus ring around a focused part, when focus came from the keyboard. */
  showFocus(target) {
    if (!target.matches?.("[tabindex]:focus-visible")) return;
    const box = target.getBBox();
    let { x, y } = box;
    for (let node = target; node && node !== this.root; node = node.parentNode) {
      const moved = /translate\(([-\d.]+),([-\d.]+)\)/.exec(node.getAttribute?.("transform") ?? "");
      if (moved) {
        x += Number(moved[1]);
        y += Number(moved[2]);
      }
    }
    for (const ring of this.focusRing.children) {
      setAttrs(ring, { x: x - 7, y: y - 7, width: box.width + 14, height: box.height + 14 });
    }
    setAttrs(this.focusRing, { visibility: "visible" });
  }

  activate(event) {
    const target = event.target.closest?.("[data-open]");
    if (!target || !this.root.contains(target)) return;
    event.preventDefault();
    const { name, namespace, resource } = target.dataset;
    this.onOpen(target.dataset.open, { name, namespace, resource });
  }

  /**
   * Draw the cluster as the state says, touching only what changed.
   * @param {import("./state.js").ClusterState} state
   */
  render(state) {
    this.lastState = state;
    // The first draw's phases, as "podlab:draw <phase>" performance measures
    // (bench/browser_latency.py reports them); later draws record nothing.
    let start = performance.now();
    const measuring = !this.drawn;
    this.drawn = true;
    const phase = (name) => {
      if (!measuring) return;
      const end = performance.now();
      performance.measure(`podlab:draw ${name}`, { start, end });
      start = end;
    };
    const width = this.canvasWidth(state);
    phase("canvas width");
    const layout = layoutCluster(state, width);
    phase("layout");
    this.layout = layout;
    setAttrs(this.root, { viewBox: `0 0 ${layout.width} ${layout.height}` });
    setAttrs(this.fixedLayer, { transform: layout.offset ? `translate(${layout.offset},0)` : null });
    this.renderFixed(state, layout);
    this.renderTray(layout);
    this.workloadsView.render(layout.workloads);
    const wasUnfinished = this.unfinished;
    // New nodes are built whole, pods and all, before they join the document in
    // one insertion: writes to detached elements invalidate no style or layout.
    const arriving = document.createDocumentFragment();
    this.unfinished = !this.renderWorkers(state, layout, PARTS_PER_FRAME, arriving);
    phase("workers");
    this.renderPods(layout);
    this.workersLayer.append(arriving);
    phase("pods");
    this.fit();
    if (this.unfinished) this.fillSoon();
    else if (wasUnfinished || measuring) this.onComplete();
  }

  /** Draw more of an unfinished picture in the next frame. */
  fillSoon() {
    if (this.fillQueued) return;
    this.fillQueued = true;
    requestAnimationFrame(() => {
      this.fillQueued = false;
      if (this.unfinished && this.lastState) this.render(this.lastState);
    });
  }

  /**
   * The canvas width that shows this cluster largest in the box: wide
   * screens get more worker columns instead of empty margins. Chosen again
   * only when the box or the number of nodes or pods changes noticeably.
   */
  canvasWidth(state) {
    const { width: clientWidth, height: clientHeight } = this.box;
    if (!clientWidth || !clientHeight || window.matchMedia(ONE_COLUMN).matches) return WIDTH;
    const key = `${clientWidth}x${clientHeight}:${state.nodes.size}:${Math.ceil(state.pods.size / 8)}`;
    if (key === this.canvas.key) return this.canvas.width;
    let best = { width: WIDTH, scale: 0 };
    for (const width of WIDTHS) {
      if (clientWidth / width < MIN_SCALE) break;
      const scale = Math.min(clientWidth / width, clientHeight / layoutCluster(state, width).height);
      if (scale > best.scale * WIDER_GAIN) best = { width, scale };
    }
    this.canvas = { width: best.width, key };
    return best.width;
  }

  /**
   * Size the picture to its box: as large as fits the box's width and
   * height, but never so small that text drops under 16 px (then the box
   * scrolls). In a one-column window, fit the width only.
   */
  fit() {
    if (!this.layout) return;
    const { width: clientWidth, height: clientHeight } = this.box;
    const { width, height } = this.layout;
    const box = `${clientWidth}x${clientHeight}`;
    const key = `${box}:${width}x${height}`;
    if (!clientWidth || key === this.fittedTo) return;
    const sameBox = this.fittedTo.startsWith(`${box}:`) && this.fittedWidth === width;
    this.fittedTo = key;
    this.fittedWidth = width;
    const oneColumn = window.matchMedia(ONE_COLUMN).matches;
    // A phone's column is too narrow for readable text: the picture pans sideways there.
    const widthScale = (oneColumn ? Math.max(clientWidth, ONE_COLUMN_MIN_WIDTH) : clientWidth) / width;
    const fitScale = oneColumn || !clientHeight ? widthScale : Math.min(widthScale, clientHeight / height);
    let scale = Math.min(widthScale, Math.max(fitScale, MIN_SCALE));
    if (sameBox && scale > this.scale && scale < this.scale * REGROW) scale = this.scale;
    this.scale = scale;
    // Room for the whole picture at its least scale: a short window scrolls the page
    // (sandbox.css) instead of cutting off the bottom of the picture.
    this.container.style.minHeight = oneColumn ? "" : `${Math.ceil(height * MIN_SCALE)}px`;
    this.root.style.width = `${Math.floor(width * scale)}px`;
    this.root.style.height = `${Math.floor(height * scale)}px`;
  }

  /**
   * In poll mode, when the scheduler asks next: the lesson's "every 5 seconds" (or its
   * cluster's own interval), seen
   * counting down while a new pod waits in the Pending tray.
   * @param {number|null} seconds until its next ask, by the sandbox clock (null: unknown)
   */
  setNextAsk(seconds) {
    const shown = seconds === null ? null : Math.max(0, Math.ceil(seconds));
    if (shown === this.nextAsk) return;
    this.nextAsk = shown;
    const subtitle = this.scheduler.subtitle;
    if (subtitle.dataset.mode === "poll") setText(subtitle, this.pollWords());
  }

  pollWords() {
    const every = `every ${this.pollSeconds} s`;
    if (this.nextAsk === null) return `asks ${every}`;
    return this.nextAsk > 0 ? `${every}: next in ${this.nextAsk} s` : `${every}: asking now`;
  }

  renderFixed(state, layout) {
    const schedulerUp = state.isRunning("scheduler");
    const failure = schedulerUp ? state.failureOf("scheduler") : null;
    this.scheduler.group.classList.toggle("down", !schedulerUp);
    this.scheduler.group.classList.toggle("failing", Boolean(failure));
    this.pollSeconds = state.sandbox?.pollSeconds ?? 5;
    const mode = state.sandbox?.mode === "poll" ? this.pollWords() : "watches new pods";
    // The box has room for the error's type; its message is in the tooltip and the panel.
    const subtitle = !schedulerUp ? "not scheduling" : failure ? `failing: ${failure.failure.split(":")[0]}` : mode;
    setText(this.scheduler.subtitle, fitText(subtitle, FIXED.scheduler.w - 28, FONT));
    // Only the poll mode's words follow the countdown (setNextAsk).
    this.scheduler.subtitle.dataset.mode = schedulerUp && !failure ? state.sandbox?.mode ?? "" : "";
    const health = !schedulerUp ? "stopped" : failure ? `failing: ${failureWords(failure)}` : "running";
    setAttrs(this.scheduler.group, { "aria-label": `kube-scheduler: ${health}` });
    setText(this.scheduler.tooltip, `kube-scheduler: ${health}`);
    this.renderControllerManager(state);
    setText(this.etcd.revision, `revision ${state.revision}`);
    const names = layout.controlPlaneNodes;
    setText(this.cpNodes, names.length ? fitText(`on node ${names.join(", ")}`, 420, FONT) : "");
    const kubeletsUp = names.every((name) => state.isRunning(`kubelet/${name}`));
    this.cpKubelet.classList.toggle("stopped", !kubeletsUp);
    this.cpKubelet.style.display = names.length ? "" : "none";
    this.cpKubelet.dataset.name = names[0] ?? "";
    setAttrs(this.cpKubeletIcon, { href: kubeletsUp ? "#icon-check" : "#icon-cross" });
    setText(this.cpKubeletText, kubeletsUp ? "kubelet" : "kubelet stopped");
  }

  /** Its subtitle says which controller acted last and what it did: "replicaset: creating 1". */
  renderControllerManager(state) {
    const managerUp = state.isRunning("controller-manager");
    const acted = state.lastController;
    this.controllerManager.group.classList.toggle("down", !managerUp);
    this.controllerManager.group.classList.toggle("acted", managerUp && Boolean(acted));
    const room = FIXED.controllerManager.w - 28;
    let subtitle = "actual → desired";
    if (acted) subtitle = fitText(`${acted.controller}: ${acted.action}`, room, FONT);
    setText(this.controllerManager.subtitle, managerUp ? subtitle : "not reconciling");
    const health = !managerUp ? "stopped" : acted ? `running; ${acted.controller} acted last: ${acted.reason}` : "running";
    setAttrs(this.controllerManager.group, { "aria-label": `kube-controller-manager: ${health}` });
    setText(this.controllerManager.tooltip, `kube-controller-manager: ${health}`);
  }

  renderTray(layout) {
    const { tray } = layout;
    setAttrs(this.trayBox, { x: tray.x, y: tray.y, width: tray.w, height: tray.h });
    setAttrs(this.trayTitle, { x: tray.x + 16, y: tray.y + 29 });
    const waiting = tray.pods.filter((entry) => !entry.pod.spec?.nodeName).length;
    setText(this.trayTitle, `Pending: waiting for the scheduler (${waiting})`);
    setAttrs(this.trayMore, { x: tray.x + tray.w - 16, y: tray.y + 29 });
    setText(this.trayMore, tray.hidden ? `+${tray.hidden} more not shown` : "");
    setAttrs(this.trayEmpty, { x: tray.x + 16, y: tray.y + tray.header + 34 });
    this.trayEmpty.style.display = tray.pods.length ? "none" : "";
    setAttrs(this.trayPods, { transform: `translate(${tray.x + tray.pad},${tray.y + tray.header})` });
    const area = layout.workersArea;
    setAttrs(this.workersTitle, { x: area.titleX + 4, y: area.y + 25 });
    setText(this.workersTitle, area.title);
    setAttrs(this.workersEmpty, { x: area.x + 4, y: area.y + 72 });
    this.workersEmpty.style.display = layout.workers.length ? "none" : "";
  }

  /**
   * @param {number} room how many new nodes and pods to draw now
   * @param {DocumentFragment} arriving where new nodes go (the caller attaches them)
   * @returns {boolean} whether every node is drawn (new ones beyond `room` parts wait)
   */
  renderWorkers(state, layout, room, arriving) {
    const seen = new Set();
    let complete = true;
    for (const worker of layout.workers) {
      let view = this.nodeViews.get(worker.name);
      const isNew = !view;
      if (isNew) {
        if (room <= 0) {
          complete = false;
          continue;
        }
        room -= 1 + worker.pods.length;
        view = new NodeView(worker.name);
        this.nodeViews.set(worker.name, view);
      }
      seen.add(worker.name);
      const used = { cpu: 0, memory: 0 };
      for (const { pod } of worker.pods) {
        if (TERMINAL_PHASES.has(pod.status?.phase)) continue;
        const requests = podRequests(pod);
        used.cpu += requests.cpu;
        used.memory += requests.memory;
      }
      const kubelet = `kubelet/${worker.name}`;
      view.update(worker, nodeStatus(worker.node, state.isRunning(kubelet)), used, state.failureOf(kubelet));
      if (isNew) arriving.append(view.g);
    }
    for (const [name, view] of this.nodeViews) {
      if (!seen.has(name)) {
        view.g.remove();
        this.nodeViews.delete(name);
      }
    }
    return complete;
  }

  renderPods(layout) {
    const seen = new Set();
    const place = (entry, slot, parent, where) => {
      const id = `${entry.key}#${entry.pod.metadata?.uid ?? ""}`;
      seen.add(id);
      let view = this.podViews.get(id);
      const isNew = !view;
      if (isNew) {
        view = new PodView(entry.key, entry.pod);
        this.podViews.set(id, view);
      }
      // Written before it is attached: writes to a detached card invalidate no style.
      view.update(slot, entry.pod, podStatus(entry.pod), layout.density, where);
      if (view.parent !== parent) {
        const moved = view.parent !== null;
        parent.append(view.g);
        view.parent = parent;
        if ((moved || isNew) && this.animate) this.flash(view.g, moved ? "arrived" : "appeared");
      }
    };
    for (const worker of layout.workers) {
      const view = this.nodeViews.get(worker.name);
      if (!view) continue; // drawn in a later frame
      for (const entry of worker.pods) {
        const slot = worker.slots.get(entry.key);
        place(entry, { ...slot, x: slot.x + worker.pad, y: slot.y + worker.podsY }, view.pods, "");
      }
    }
    const controlPlane = new Set(layout.controlPlaneNodes);
    for (const entry of layout.tray.pods) {
      const slot = layout.tray.slots.get(entry.key);
      if (!slot) continue; // beyond what the tray shows
      const node = entry.pod.spec?.nodeName;
      const where = !node ? "" : controlPlane.has(node) ? `on ${node}` : `${node} is gone`;
      place(entry, slot, this.trayPods, where);
    }
    for (const [id, view] of this.podViews) {
      if (!seen.has(id)) {
        view.g.remove();
        this.podViews.delete(id);
      }
    }
  }

  /**
   * The kubectl command the student's click or YAML stands for, typed in the terminal:
   * whole in a wide window for a while, then what fits the small terminal stays.
   * @param {string|null} command "kubectl run web --image=nginx --restart=Always"; null for
   *   a fault the sandbox injects (a crash, a stopped kubelet), which kubectl cannot do
   */
  showCommand(command) {
    const term = FIXED.terminal;
    const rest = command ? command.replace(/^kubectl /, "") : "▌";
    setText(this.typed, fitMono(rest, term.w - 16, TERMINAL_FONT));
    const said = command ? `$ ${command}` : NO_KUBECTL;
    const line = fitMono(said, WIDTH - term.x - 32, COMMAND_FONT);
    setText(this.command.text, line);
    setAttrs(this.command.box, { width: line.length * COMMAND_FONT * MONO_EM + 24 });
    setAttrs(this.command.group, { visibility: "visible" });
    clearTimeout(this.commandTimer);
    this.commandTimer = 0;
  }

  /** The command's calls have travelled: fold the wide window away soon. */
  foldCommand() {
    if (this.commandTimer || this.command.group.getAttribute("visibility") !== "visible") return;
    this.commandTimer = setTimeout(() => setAttrs(this.command.group, { visibility: "hidden" }), COMMAND_LINGER_MS);
  }

  flash(element, className) {
    element.classList.remove("appeared", "arrived");
    element.classList.add(className);
    element.addEventListener("animationend", () => element.classList.remove(className), { once: true });
  }

  /**
   * The rectangle of a named anchor, in diagram units.
   * @param {string} anchor "user", "apiserver", "etcd", "scheduler", "controller-manager",
   *   "kubelet:<node>", "runtime:<node>", "proxy:<node>", "node:<node>", "pod:<key>",
   *   "workload:<key>", "workers", "tray"
   * @returns {import("./svg.js").Rect|null}
   */
  rectOf(anchor) {
    const layout = this.layout;
    const shift = (rect) => ({ ...rect, x: rect.x + (layout?.offset ?? 0) });
    if (anchor in FIXED) return shift(FIXED[anchor]);
    if (anchor === "controller-manager") return shift(FIXED.controllerManager);
    if (!layout) return null;
    if (anchor === "workers") return layout.workersArea;
    if (anchor === "tray") return layout.tray;
    const [kind, ...rest] = anchor.split(":");
    const name = rest.join(":");
    if (kind === "pod") return this.podRect(name);
    if (kind === "workload") return workloadRect(layout.workloads, name);
    const worker = layout.workers.find((item) => item.name === name);
    if (!worker) {
      if (layout.controlPlaneNodes.includes(name)) return shift(kind === "node" ? FIXED.controlPlane : FIXED.cpKubelet);
      return kind === "node" ? layout.workersArea : null;
    }
    if (kind === "node") return worker;
    const chipId = { runtime: "runtime", proxy: "proxy" }[kind] ?? "kubelet";
    const chip = worker.chips.find((item) => item.id === chipId);
    return { x: worker.x + chip.x, y: worker.y + chip.y, w: chip.w, h: chip.h };
  }

  /**
   * The free stretch of the control plane's title row, between its title and the
   * "on node ..." note: where a message between two control-plane boxes too close
   * for its label waits, above them, instead of over their names.
   * @returns {{left: number, right: number, bottom: number}}
   */
  controlPlaneBand() {
    const cp = this.rectOf("controlPlane");
    const titleEnd = FIXED.controlPlane.x + 18 + textWidth(this.cpTitle.textContent, TITLE_FONT, true);
    const note = this.cpNodes.textContent ?? "";
    const noteStart = FIXED.controlPlane.x + FIXED.controlPlane.w - 18 - (note ? textWidth(note, FONT) : 0);
    const offset = cp.x - FIXED.controlPlane.x;
    const boxesTop = Math.min(FIXED.scheduler.y, FIXED.apiserver.y, FIXED.etcd.y);
    return { left: titleEnd + offset + 12, right: noteStart + offset - 12, bottom: cp.y + boxesTop - FIXED.controlPlane.y };
  }

  podRect(key) {
    const layout = this.layout;
    for (const worker of layout.workers) {
      const slot = worker.slots.get(key);
      if (slot) return { x: worker.x + worker.pad + slot.x, y: worker.y + worker.podsY + slot.y, w: slot.w, h: slot.h };
    }
    const slot = layout.tray.slots.get(key);
    if (slot) return { x: layout.tray.x + layout.tray.pad + slot.x, y: layout.tray.y + layout.tray.header + slot.y, w: slot.w, h: slot.h };
    return null;
  }

  /** The element(s) an anchor names, to highlight. */
  elementsOf(anchor) {
    if (anchor in this.fixedGroups) return [this.fixedGroups[anchor]];
    const [kind, ...rest] = anchor.split(":");
    const name = rest.join(":");
    if (kind === "pod") {
      return [...this.podViews.values()].filter((view) => view.key === name).map((view) => view.g);
    }
    if (kind === "workload") return this.workloadsView.elementsOf(name);
    const view = this.nodeViews.get(name);
    if (view) return [view.g];
    if (this.layout?.controlPlaneNodes.includes(name)) return [this.cpKubelet];
    return [];
  }

  /**
   * Mark parts as talking (a message travels between them) or not.
   * @param {string[]} anchors
   * @param {boolean} on
   */
  setTalking(anchors, on) {
    for (const element of anchors.flatMap((anchor) => this.elementsOf(anchor))) {
      element.classList.toggle("talking", on);
    }
  }

  /**
   * Highlight the parts an API call involved (a timeline item was chosen); [] clears.
   * @param {string[]} anchors
   */
  highlight(anchors) {
    for (const element of this.highlighted) element.classList.remove("highlighted");
    this.highlighted = anchors.flatMap((anchor) => this.elementsOf(anchor));
    for (const element of this.highlighted) element.classList.add("highlighted");
  }

  /**
   * Mark the parts the lesson's current step talks about; [] clears. Kept apart from
   * highlight(), which follows the timeline's chosen call.
   * @param {string[]} anchors
   */
  spotlight(anchors) {
    for (const element of this.spotlit ?? []) element.classList.remove("spotlit");
    this.spotlit = anchors.flatMap((anchor) => this.elementsOf(anchor));
    for (const element of this.spotlit) element.classList.add("spotlit");
  }
}
