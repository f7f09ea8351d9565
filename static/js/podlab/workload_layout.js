/**
 * Where the Workloads area's boxes go (no DOM): a band across the canvas between
 * the Pending tray and the worker nodes, its boxes in rows that wrap. A
 * Deployment's box holds its ReplicaSets side by side; a ReplicaSet or
 * ReplicationController of its own is one card; a Service one short box.
 *
 * Units are the diagram's (layout.js): 20-unit text on a canvas 1000+ wide.
 */

import { FONT, TITLE_FONT } from "./units.js";
import { textWidth } from "./svg.js";
import { countWords } from "./workloads.js";

const AREA = { header: 40, pad: 10, gap: 12, maxRows: 3 };
/** A ReplicaSet's card: name and revision, image, a dot per pod; its count badge bottom right. */
export const SET_CARD = { h: 80, minW: 220, maxW: 440, gap: 8, badgeH: 30, dot: 20 };
const DEPLOYMENT = { header: 42, pad: 8 };
const SERVICE = { h: 66, minW: 240, maxW: 480 };

/** A count badge's width, for its words: an icon, then the words. */
export function badgeWidth(text) {
  return textWidth(text, FONT, true) + 42;
}

/**
 * The first line of a ReplicaSet's card: "web-7d4b9 · rev 2" inside its Deployment,
 * "rs cache-5f6c8" on its own (kubectl's short names).
 * @param {import("./workloads.js").PodSet} set
 * @param {boolean} owned drawn inside its Deployment's box
 * @returns {string}
 */
export function setTitle(set, owned) {
  const kind = set.resource === "replicationcontrollers" ? "rc" : "rs";
  const name = owned ? set.name : `${kind} ${set.name}`;
  return set.revision ? `${name} · rev ${set.revision}` : name;
}

/** "deployment web" and, when its history is longer than what is drawn, "+2 older". */
export function deploymentTitle(group) {
  return `deployment ${group.name}`;
}

/** "10.96.0.12:80 → 3 endpoints", "→ 2 endpoints (1 not ready)", "→ no endpoints". */
export function endpointWords(service) {
  const count = service.ready === 0 ? "no endpoints" : service.ready === 1 ? "1 endpoint" : `${service.ready} endpoints`;
  const notReady = service.notReady ? ` (${service.notReady} not ready)` : "";
  return `${service.address} → ${count}${notReady}`;
}

function clamp(value, low, high) {
  return Math.max(low, Math.min(high, value));
}

/** Its title on the first line; its image, then a dot per pod, left of its badge below. */
function setCardWidth(set, owned) {
  const title = textWidth(setTitle(set, owned), FONT, true) + 24;
  const badge = badgeWidth(countWords(set.counts).text) + 20;
  const below = Math.max(textWidth(set.image, FONT), set.pods.length * SET_CARD.dot) + 12 + badge;
  return clamp(Math.max(title, below), SET_CARD.minW, SET_CARD.maxW);
}

/** Items of given widths in lines that wrap at maxWidth, top-aligned in each line. */
function wrap(items, maxWidth, gap) {
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  let line = 0;
  const placed = items.map((item) => {
    const w = Math.min(item.w, maxWidth);
    if (x > 0 && x + w > maxWidth) {
      x = 0;
      y += lineHeight + gap;
      lineHeight = 0;
      line += 1;
    }
    const spot = { ...item, x, y, w, line };
    x += w + gap;
    lineHeight = Math.max(lineHeight, item.h);
    return spot;
  });
  return { placed, height: items.length ? y + lineHeight : 0 };
}

function deploymentBox(group, maxWidth) {
  const inner = maxWidth - 2 * DEPLOYMENT.pad;
  const cards = wrap(group.sets.map((set) => ({ set, w: setCardWidth(set, true), h: SET_CARD.h })), inner, SET_CARD.gap);
  const cardsWidth = Math.max(0, ...cards.placed.map((card) => card.x + card.w));
  const older = group.older ? textWidth(`+${group.older} older`, FONT) + 12 : 0;
  const header = textWidth(deploymentTitle(group), TITLE_FONT, true) + older + badgeWidth(countWords(group.counts).text) + 40;
  const w = clamp(Math.max(cardsWidth + 2 * DEPLOYMENT.pad, header), SET_CARD.minW, maxWidth);
  const h = DEPLOYMENT.header + Math.max(cards.height, SET_CARD.h) + DEPLOYMENT.pad;
  const placedCards = cards.placed.map((card) => ({ ...card, x: card.x + DEPLOYMENT.pad, y: card.y + DEPLOYMENT.header }));
  return { kind: "deployment", entry: group, w, h, cards: placedCards };
}

function serviceBox(service, maxWidth) {
  const w = Math.max(textWidth(`svc ${service.name}`, FONT, true), textWidth(endpointWords(service), FONT)) + 28;
  return { kind: "service", entry: service, w: clamp(w, SERVICE.minW, Math.min(SERVICE.maxW, maxWidth)), h: SERVICE.h };
}

/**
 * @typedef {object} WorkloadBox
 * @property {"deployment"|"set"|"service"} kind
 * @property {object} entry its DeploymentGroup, PodSet or ServiceEntry (workloads.js)
 * @property {number} x @property {number} y @property {number} w @property {number} h
 * @property {Array<{set: object, x: number, y: number, w: number, h: number}>} [cards]
 *   a Deployment's ReplicaSets, relative to its box
 */

/**
 * @typedef {object} WorkloadsArea
 * @property {number} x @property {number} y @property {number} w @property {number} h 0: none
 * @property {number} header @property {number} pad
 * @property {WorkloadBox[]} boxes relative to the area's inside (below its header)
 * @property {number} hidden boxes left out (beyond AREA.maxRows rows)
 * @property {string} title
 */

/**
 * Lay out the Workloads area.
 * @param {ReturnType<import("./workloads.js").workloadGroups>} groups
 * @param {{x: number, y: number, w: number}} room where the area goes
 * @returns {WorkloadsArea}
 */
export function layoutWorkloads(groups, { x, y, w }) {
  const inner = w - 2 * AREA.pad;
  const boxes = [
    ...groups.deployments.map((group) => deploymentBox(group, inner)),
    ...groups.sets.map((set) => ({ kind: "set", entry: set, w: Math.min(setCardWidth(set, false), inner), h: SET_CARD.h })),
    ...groups.services.map((service) => serviceBox(service, inner)),
  ];
  const total = boxes.length;
  const title = `Workloads (${total}): kept by the controllers`;
  if (!total) return { x, y, w, h: 0, header: AREA.header, pad: AREA.pad, boxes: [], hidden: 0, title };
  const rows = wrap(boxes, inner, AREA.gap);
  const shown = rows.placed.filter((box) => box.line < AREA.maxRows);
  const height = Math.max(...shown.map((box) => box.y + box.h));
  return {
    x,
    y,
    w,
    h: AREA.header + height + AREA.pad,
    header: AREA.header,
    pad: AREA.pad,
    boxes: shown,
    hidden: total - shown.length,
    title,
  };
}

/**
 * Where a workload is drawn, in diagram units: its box, or its card in its Deployment's box.
 * @param {WorkloadsArea} area
 * @param {string} key the workload's store key
 * @returns {{x: number, y: number, w: number, h: number}|null}
 */
export function workloadRect(area, key) {
  const left = area.x + area.pad;
  const top = area.y + area.header;
  for (const box of area.boxes) {
    if (box.entry.key === key) return { x: left + box.x, y: top + box.y, w: box.w, h: box.h };
    const card = (box.cards ?? []).find((item) => item.set.key === key);
    if (card) return { x: left + box.x + card.x, y: top + box.y + card.y, w: card.w, h: card.h };
  }
  return null;
}
