/**
 * Where everything goes on the diagram, computed from the cluster state
 * alone (no DOM): the user, the control plane, the Pending tray, the
 * workloads (workload_layout.js), and a grid of worker nodes with their pods. The diagram compares layouts and moves
 * only what moved.
 *
 * Units are SVG user units on a 1000-unit-wide canvas. The page shows the
 * canvas at least ~800 px wide, so a 20-unit font is at least 16 px.
 */

import { isControlPlane } from "./status.js";
import { textWidth } from "./svg.js";
import { FONT, TITLE_FONT } from "./units.js";
import { layoutWorkloads } from "./workload_layout.js";
import { workloadGroups } from "./workloads.js";

export { FONT, TITLE_FONT };

/** The narrowest canvas; wider ones (for wide screens) centre the top band over more columns. */
export const WIDTH = 1000;
/** The canvas widths the diagram may choose from. */
export const WIDTHS = [1000, 1200, 1400, 1600, 1800];

/** The fixed parts of the picture (absolute rectangles). */
export const FIXED = Object.freeze({
  user: { x: 8, y: 8, w: 146, h: 232 },
  terminal: { x: 16, y: 122, w: 130, h: 66 },
  controlPlane: { x: 166, y: 8, w: 824, h: 232 },
  scheduler: { x: 182, y: 48, w: 262, h: 84 },
  controllerManager: { x: 182, y: 142, w: 262, h: 84 },
  apiserver: { x: 516, y: 52, w: 212, h: 116 },
  cpKubelet: { x: 516, y: 180, w: 212, h: 46 },
  etcd: { x: 794, y: 54, w: 180, h: 174 },
});

const TRAY = { x: 166, y: 250, w: 824, header: 40, pad: 10, maxRows: 3 };
const GRID = { x: 8, gap: 16, header: 34 };
const NODE = { pad: 14, header: 46, tagH: 32, chipH: 36, gap: 8, barH: 34 };
const MIN_NODE_WIDTH = 300;
const MAX_NODE_WIDTH = 490;
const CARD = {
  normal: { h: 60, minW: 250 }, // the longest status, "CrashLoopBackOff", stays whole
  compact: { h: 40, minW: 150 },
};

/** A worker's chips: the node components the lesson names. */
const NODE_CHIPS = [
  { id: "kubelet", text: "kubelet", icon: true },
  { id: "runtime", text: "containerd", icon: false },
  { id: "proxy", text: "kube-proxy", icon: false },
];

/** "node-2" before "node-10". */
const byName = new Intl.Collator("en", { numeric: true }).compare;

/** Oldest first, so a new pod lands at the end and the others stay put. */
function podOrder(a, b) {
  const ta = a.metadata?.creationTimestamp ?? "~";
  const tb = b.metadata?.creationTimestamp ?? "~";
  if (ta !== tb) return ta < tb ? -1 : 1;
  return byName(fullName(a), fullName(b));
}

/** "namespace/name", built once per (never mutated) pod object: layouts sort often. */
const fullNames = new WeakMap();
function fullName(pod) {
  let name = fullNames.get(pod);
  if (name === undefined) {
    name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    fullNames.set(pod, name);
  }
  return name;
}

/**
 * "node.kubernetes.io/unreachable:NoExecute" -> "unreachable:NoExecute"
 * @param {{key: string, value?: string, effect: string}} taint
 * @returns {string}
 */
function shortTaint(taint) {
  const key = taint.key.split("/").pop();
  return `${key}${taint.value ? `=${taint.value}` : ""}:${taint.effect}`;
}

/** Lay items of given widths out in lines that wrap at maxWidth. */
function flow(items, maxWidth, height, gap) {
  const placed = [];
  let x = 0;
  let y = 0;
  for (const item of items) {
    const w = Math.min(item.w, maxWidth);
    if (x > 0 && x + w > maxWidth) {
      x = 0;
      y += height + gap;
    }
    placed.push({ ...item, x, y, w, h: height });
    x += w + gap;
  }
  return { placed, height: items.length ? y + height : 0 };
}

/** Pod card slots in a grid of the given inner width. */
function cardGrid(pods, innerWidth, card, limit = Infinity) {
  const columns = Math.max(1, Math.floor((innerWidth + NODE.gap) / (card.minW + NODE.gap)));
  const w = (innerWidth - (columns - 1) * NODE.gap) / columns;
  const slots = new Map();
  const shown = pods.slice(0, limit);
  shown.forEach((pod, index) => {
    const column = index % columns;
    const row = Math.floor(index / columns);
    slots.set(pod.key, { x: column * (w + NODE.gap), y: row * (card.h + NODE.gap), w, h: card.h });
  });
  const rows = Math.ceil(shown.length / columns);
  return { slots, height: rows ? rows * (card.h + NODE.gap) - NODE.gap : 0, columns };
}

/** The inside of one worker box, relative to its top-left corner. */
function layoutWorker(node, pods, width, card, { kubeletRunning, proxyRunning }) {
  const inner = width - 2 * NODE.pad;
  let y = NODE.header;
  const tagItems = (node.spec?.taints ?? []).map((taint) => ({ text: shortTaint(taint), kind: "taint" }));
  if (node.spec?.unschedulable) tagItems.unshift({ text: "SchedulingDisabled", kind: "cordon" });
  for (const tag of tagItems) tag.w = textWidth(tag.text, FONT) + 20;
  const tags = flow(tagItems, inner, NODE.tagH, 6);
  const tagsY = y;
  if (tags.height) y += tags.height + NODE.gap;
  const chipItems = NODE_CHIPS.map((chip) => {
    const running = chip.id === "proxy" ? proxyRunning : kubeletRunning;
    const stopped = !running && chip.id !== "runtime";
    const text = stopped ? `${chip.text} stopped` : chip.text;
    return { ...chip, text, stopped, w: textWidth(text, FONT, stopped) + 24 + (chip.icon ? 26 : 0) };
  });
  const chips = flow(chipItems, inner, NODE.chipH, NODE.gap);
  const chipsY = y;
  y += chips.height + 10;
  const barsY = y;
  y += 2 * NODE.barH + 6;
  const podsY = y;
  const grid = cardGrid(pods, inner, card);
  y += Math.max(grid.height, card.h); // room for one row even with no pods, so the first does not shift the picture
  return {
    tags: tags.placed.map((tag) => ({ ...tag, x: tag.x + NODE.pad, y: tag.y + tagsY })),
    chips: chips.placed.map((chip) => ({ ...chip, x: chip.x + NODE.pad, y: chip.y + chipsY })),
    barsY,
    podsY,
    pad: NODE.pad,
    slots: grid.slots,
    contentHeight: y + NODE.pad,
  };
}

/** How many worker columns: as many as fit at a readable width, fewer for a few nodes. */
function columnsFor(count, gridWidth) {
  const fit = Math.max(1, Math.floor((gridWidth + GRID.gap) / (MIN_NODE_WIDTH + GRID.gap)));
  if (count <= 3) return Math.max(1, Math.min(count, fit));
  return Math.min(count, Math.max(3, fit));
}

/**
 * @typedef {object} WorkerLayout
 * @property {string} name
 * @property {object} node
 * @property {number} x @property {number} y @property {number} w @property {number} h
 * @property {Array} tags @property {Array} chips
 * @property {number} barsY @property {number} podsY @property {number} pad
 * @property {Map<string, import("./svg.js").Rect>} slots pod key -> card rect (node-relative)
 * @property {object[]} pods
 */

/**
 * @typedef {object} Layout
 * @property {number} width @property {number} height
 * @property {number} offset how far right the fixed top band (FIXED) is drawn
 * @property {"normal"|"compact"} density
 * @property {string[]} controlPlaneNodes
 * @property {{x: number, y: number, w: number, h: number, slots: Map, pods: object[], hidden: number}} tray
 * @property {import("./workload_layout.js").WorkloadsArea} workloads h 0 when there are none
 * @property {{x: number, y: number, w: number, h: number, title: string, titleX: number}} workersArea
 * @property {WorkerLayout[]} workers
 */

/**
 * Lay out the whole picture.
 * @param {import("./state.js").ClusterState} state
 * @param {number} [width=WIDTH] the canvas width, one of WIDTHS
 * @returns {Layout}
 */
export function layoutCluster(state, width = WIDTH) {
  const offset = (width - WIDTH) / 2; // the top band is centred
  const controlPlaneNodes = [];
  const workerNodes = [];
  for (const node of state.nodes.values()) {
    (isControlPlane(node) ? controlPlaneNodes : workerNodes).push(node);
  }
  workerNodes.sort((a, b) => byName(a.metadata.name, b.metadata.name));
  controlPlaneNodes.sort((a, b) => byName(a.metadata.name, b.metadata.name));

  const workerNames = new Set(workerNodes.map((node) => node.metadata.name));
  const podsByNode = new Map(workerNodes.map((node) => [node.metadata.name, []]));
  const trayPods = [];
  const allPods = [...state.pods.entries()].map(([key, pod]) => ({ key, pod }));
  allPods.sort((a, b) => podOrder(a.pod, b.pod));
  for (const entry of allPods) {
    const nodeName = entry.pod.spec?.nodeName;
    if (nodeName && workerNames.has(nodeName)) podsByNode.get(nodeName).push(entry);
    else trayPods.push(entry);
  }

  const density = workerNodes.length > 9 || state.pods.size > 60 ? "compact" : "normal";
  const card = CARD[density];

  const trayInner = TRAY.w - 2 * TRAY.pad;
  const trayColumns = Math.max(1, Math.floor((trayInner + NODE.gap) / (card.minW + NODE.gap)));
  const trayLimit = trayColumns * TRAY.maxRows;
  const trayGrid = cardGrid(trayPods, trayInner, card, trayLimit);
  const tray = {
    x: TRAY.x + offset,
    y: TRAY.y,
    w: TRAY.w,
    // Room for one row even when empty, so the first pending pod does not shift the picture.
    h: TRAY.header + Math.max(trayGrid.height, card.h) + TRAY.pad,
    pad: TRAY.pad,
    header: TRAY.header,
    slots: trayGrid.slots,
    pods: trayPods,
    hidden: Math.max(0, trayPods.length - trayLimit),
  };

  const gridWidth = width - 2 * GRID.x;
  const workloads = layoutWorkloads(workloadGroups(state), { x: GRID.x, y: tray.y + tray.h + 12, w: gridWidth });
  const areaY = workloads.h ? workloads.y + workloads.h + 12 : workloads.y;
  const columns = columnsFor(workerNodes.length, gridWidth);
  const nodeWidth = Math.min(MAX_NODE_WIDTH, (gridWidth - (columns - 1) * GRID.gap) / columns);
  const rowWidth = columns * nodeWidth + (columns - 1) * GRID.gap;
  const gridX = GRID.x + Math.max(0, (gridWidth - rowWidth) / 2);
  const workers = [];
  let rowY = areaY + GRID.header;
  for (let start = 0; start < workerNodes.length; start += columns) {
    const row = workerNodes.slice(start, start + columns).map((node) => {
      const pods = podsByNode.get(node.metadata.name);
      const running = {
        kubeletRunning: state.isRunning(`kubelet/${node.metadata.name}`),
        proxyRunning: state.isRunning(`kube-proxy/${node.metadata.name}`),
      };
      return { node, pods, inner: layoutWorker(node, pods, nodeWidth, card, running) };
    });
    const rowHeight = Math.max(...row.map((item) => item.inner.contentHeight));
    row.forEach((item, column) => {
      workers.push({
        name: item.node.metadata.name,
        node: item.node,
        pods: item.pods,
        x: gridX + column * (nodeWidth + GRID.gap),
        y: rowY,
        w: nodeWidth,
        h: rowHeight,
        ...item.inner,
      });
    });
    rowY += rowHeight + GRID.gap;
  }
  const areaBottom = workers.length ? rowY - GRID.gap : areaY + GRID.header + 60;
  return {
    width,
    offset,
    height: Math.ceil(areaBottom + 12),
    density,
    controlPlaneNodes: controlPlaneNodes.map((node) => node.metadata.name),
    tray,
    workloads,
    workersArea: {
      x: GRID.x,
      y: areaY,
      w: gridWidth,
      titleX: gridX,
      h: areaBottom - areaY,
      title: `Worker nodes (${workerNodes.length})`,
    },
    workers,
  };
}
