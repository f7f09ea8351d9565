/**
 * The Workloads area drawn as SVG: each Deployment with its ReplicaSets side by
 * side, ReplicaSets and ReplicationControllers of their own, Services with their
 * endpoints. Each count badge says desired against current; while they differ it
 * is drawn as "converging" (amber, a loop icon), so a scale or a rollout shows at
 * a glance. A Deployment, ReplicaSet or ReplicationController is a button that
 * opens its panel (data-open="workload").
 *
 * The area has a few dozen parts at most: it is drawn again whole when what it
 * shows changed, and left alone otherwise.
 */

import { icon } from "./icons.js";
import { fitText, setAttrs, svg, textWidth } from "./svg.js";
import { FONT, TITLE_FONT } from "./units.js";
import { badgeWidth, deploymentTitle, endpointWords, SET_CARD, setTitle } from "./workload_layout.js";
import { countWords, workloadPath } from "./workloads.js";

const KIND_WORDS = {
  deployments: "Deployment",
  replicasets: "ReplicaSet",
  replicationcontrollers: "ReplicationController",
  services: "Service",
};

function label(x, y, text, className, attrs = {}) {
  return svg("text", { x, y, class: className, ...attrs }, [text]);
}

/** A group that opens the workload's panel, or a plain group for a kind without one. */
function workloadGroup(className, entry, ariaLabel) {
  const attrs = {
    class: className,
    "aria-label": ariaLabel,
    "data-key": entry.key,
    "data-resource": entry.resource,
    "data-namespace": entry.namespace,
    "data-name": entry.name,
  };
  if (!workloadPath(entry)) return svg("g", { ...attrs, role: "img" });
  return svg("g", { ...attrs, tabindex: 0, role: "button", "data-open": "workload" });
}

/** Desired against current, at the right of a box of width w, y down from its top. */
function countBadge(counts, w, y) {
  const words = countWords(counts);
  const width = badgeWidth(words.text);
  return svg("g", {
    class: `count ${words.settled ? "settled" : "converging"}`,
    transform: `translate(${w - width - 8},${y})`,
  }, [
    svg("rect", { width, height: SET_CARD.badgeH, rx: 6 }),
    icon(words.settled ? "icon-check" : "icon-loop", 6, 4, 22),
    label(32, 22, words.text, "count-text"),
    svg("title", {}, [words.title]),
  ]);
}

/** One dot per pod, coloured and titled by its status; "+n" past what fits. */
function podDots(pods, width) {
  const room = Math.max(1, Math.floor(width / SET_CARD.dot));
  const shown = pods.length > room ? pods.slice(0, room - 1) : pods;
  const dots = shown.map((entry, index) => svg("circle", {
    class: `pod-dot st-${entry.kind}`,
    cx: index * SET_CARD.dot + 8,
    cy: 0,
    r: 7,
  }, [svg("title", {}, [`${entry.pod.metadata?.name}: ${entry.kind}`])]));
  if (shown.length < pods.length) {
    dots.push(label(shown.length * SET_CARD.dot, 6, `+${pods.length - shown.length}`, "dots-more"));
  }
  return dots;
}

/** A ReplicaSet's (or ReplicationController's) card at (x, y). */
function setCard(set, { x, y, w, h }, owned) {
  const words = countWords(set.counts);
  const title = setTitle(set, owned);
  const idle = set.counts.desired === 0 && set.pods.length === 0;
  const whole = `${KIND_WORDS[set.resource]} ${set.namespace}/${set.name}: ${[title, set.image, words.text].join(" · ")}`;
  const group = workloadGroup(`workload set${idle ? " idle" : ""}`, set, whole);
  setAttrs(group, { transform: `translate(${x},${y})` });
  const room = w - badgeWidth(words.text) - 32; // left of the badge
  group.append(
    svg("rect", { class: "workload-card", width: w, height: h, rx: 8 }),
    svg("title", {}, [`${whole} (${words.title})`]),
    label(12, 27, fitText(title, w - 24, FONT, true), "workload-name"),
    label(12, 52, fitText(set.image, room, FONT), "workload-image"),
    svg("g", { class: "pod-dots", transform: `translate(12,${h - 14})` }, podDots(set.pods, room)),
    countBadge(set.counts, w, h - SET_CARD.badgeH - 8),
  );
  return group;
}

function deploymentBox(box) {
  const group = box.entry;
  const words = countWords(group.counts);
  const title = deploymentTitle(group);
  const older = group.older ? `+${group.older} older` : "";
  const sets = group.sets.map((set) => `${set.name} ${countWords(set.counts).text}`).join(", ");
  const whole = `Deployment ${group.namespace}/${group.name}: ${words.text}; ReplicaSets ${sets || "none yet"}`;
  const element = workloadGroup("workload deployment", group, whole);
  setAttrs(element, { transform: `translate(${box.x},${box.y})` });
  const room = box.w - badgeWidth(words.text) - 36 - (older ? textWidth(older, FONT) + 12 : 0);
  const titleText = fitText(title, room, TITLE_FONT, true);
  element.append(
    svg("rect", { class: "workload-box", width: box.w, height: box.h, rx: 12 }),
    svg("title", {}, [`${whole}${older ? `; ${group.older} older ReplicaSets scaled to 0 not drawn` : ""}`]),
    label(14, 29, titleText, "title workload-title"),
  );
  if (older) {
    element.append(label(14 + textWidth(titleText, TITLE_FONT, true) + 12, 29, older, "subtitle workload-older"));
  }
  element.append(countBadge(group.counts, box.w, 6));
  for (const card of box.cards) element.append(setCard(card.set, card, true));
  return element;
}

function serviceBox(box) {
  const service = box.entry;
  const line = endpointWords(service);
  const whole = `Service ${service.namespace}/${service.name} (${service.type}): ${line}`;
  const none = service.ready === 0;
  const element = workloadGroup(`workload service${none ? " no-endpoints" : ""}`, service, whole);
  setAttrs(element, { transform: `translate(${box.x},${box.y})` });
  element.append(
    svg("rect", { class: "workload-box", width: box.w, height: box.h, rx: 12 }),
    svg("title", {}, [whole]),
    label(14, 27, fitText(`svc ${service.name}`, box.w - 28, FONT, true), "workload-name"),
    label(14, 53, fitText(line, box.w - 28, FONT), "workload-endpoints"),
  );
  return element;
}

/** What a set's card shows: not its pods' whole objects (a big cluster's would cost a frame). */
function setSignature(set) {
  const pods = set.pods.map((entry) => `${entry.pod.metadata?.name}:${entry.kind}`);
  return [set.key, set.name, set.revision, set.image, set.counts, pods];
}

/** What a box shows, to tell whether the area must be drawn again. */
function boxSignature(box) {
  const place = [box.kind, box.x, box.y, box.w, box.h];
  if (box.kind === "service") return [...place, box.entry];
  if (box.kind === "set") return [...place, setSignature(box.entry)];
  const { key, name, counts, older } = box.entry;
  const cards = box.cards.map((card) => [card.x, card.y, card.w, card.h, setSignature(card.set)]);
  return [...place, key, name, counts, older, cards];
}

export class WorkloadsView {
  constructor() {
    this.g = svg("g", { class: "workloads-area" });
    this.sig = "";
  }

  /**
   * @param {import("./workload_layout.js").WorkloadsArea} area
   */
  render(area) {
    const sig = JSON.stringify([area.x, area.y, area.w, area.h, area.hidden, area.boxes.map(boxSignature)]);
    if (sig === this.sig) return;
    this.sig = sig;
    if (!area.h) {
      this.g.replaceChildren();
      return;
    }
    const inside = svg("g", { transform: `translate(${area.x + area.pad},${area.y + area.header})` });
    for (const box of area.boxes) {
      if (box.kind === "deployment") inside.append(deploymentBox(box));
      else if (box.kind === "service") inside.append(serviceBox(box));
      else inside.append(setCard(box.entry, box, false));
    }
    const parts = [
      svg("rect", { class: "workloads-box", x: area.x, y: area.y, width: area.w, height: area.h, rx: 14 }),
      label(area.x + 16, area.y + 29, area.title, "title section-title"),
    ];
    if (area.hidden) {
      parts.push(label(area.x + area.w - 16, area.y + 29, `+${area.hidden} more not shown`, "subtitle", { "text-anchor": "end" }));
    }
    this.g.replaceChildren(...parts, inside);
  }

  /**
   * The element drawn for a workload, by store key.
   * @param {string} key
   * @returns {Element[]}
   */
  elementsOf(key) {
    return [...this.g.querySelectorAll(".workload")].filter((element) => element.dataset.key === key);
  }
}
