/**
 * Which way each API call travels on the diagram, hop by hop, in the order
 * the lesson tells it: the caller asks the API server; a write goes on to
 * etcd; a pod write that concerns a node reaches that node's kubelet through
 * its watch; a refused call stops at the API server.
 *
 * Hops name diagram anchors: "user", "apiserver", "etcd", "scheduler",
 * "controller-manager", "kubelet:<node>", "runtime:<node>", "node:<node>",
 * "workers".
 */

import { podStatus } from "./status.js";

const WRITE_VERBS = new Set(["create", "update", "patch", "delete"]);
const READ_VERBS = new Set(["get", "list", "watch"]);
const FAULT_VERBS = new Set(["crash", "stop", "start", "boot"]);
/** The live page's user agent (cluster/apiserver/authn.py LIVE_PAGE_USER_AGENT). */
const PAGE_USER_AGENT = "podlab-live-page";
/** The sandbox clock's controls, traced by the API server like faults (sandbox/views.py). */
const CLOCK_VERBS = new Set(["pause", "resume", "speed", "step", "mode"]);

/**
 * @typedef {object} Hop
 * @property {string} from  anchor
 * @property {string} to    anchor (the same as from for a "refused" stop)
 * @property {string} label what the message says, briefly
 * @property {"request"|"reply"|"write"|"notify"|"runtime"|"refused"|"fault"} kind
 * @property {boolean} [commits] the write is in etcd once this hop arrives
 */

/** @param {object} trace @returns {boolean} a successful create/update/patch/delete */
export function isWrite(trace) {
  return WRITE_VERBS.has(trace.verb) && trace.code >= 200 && trace.code < 300;
}

/** @param {object} trace @returns {boolean} get, list or watch */
export function isRead(trace) {
  return READ_VERBS.has(trace.verb);
}

/** @param {object} trace @returns {boolean} a fault the sandbox injected (crash, stop, start, boot) */
export function isFault(trace) {
  return FAULT_VERBS.has(trace.verb);
}

/** @param {object} trace @returns {boolean} a control of the sandbox clock (pause, resume, speed, step) or of its mode */
export function isClockControl(trace) {
  return CLOCK_VERBS.has(trace.verb) && trace.resource === "components";
}

/**
 * A node's heartbeats: its kubelet renewing its lease, reporting its node's
 * status and reading its own node and pods. They repeat every few seconds on
 * every node and tell no step of the story; the timeline folds them away.
 * @param {object} trace
 * @returns {boolean}
 */
export function isHeartbeat(trace) {
  if (trace.resource === "leases") return true;
  const kubelet = trace.actor.startsWith("kubelet/");
  if (kubelet && trace.resource === "nodes") return true;
  return kubelet && isRead(trace);
}

/**
 * Routine calls: heartbeats and recorded events (Pulling, Pulled, Started...,
 * which the timeline lists: they are the story). The picture hurries through
 * them like reads.
 * @param {object} trace
 * @returns {boolean}
 */
export function isRoutine(trace) {
  return trace.resource === "events" || isHeartbeat(trace);
}

/**
 * Reads the live page made for its user (its panels, its snapshots), told by the
 * user agent the API server recorded (cluster/apiserver/authn.py): the page's
 * doing, not the student's, so the timeline folds them away.
 * @param {object} trace
 * @returns {boolean}
 */
export function isPageRead(trace) {
  return trace.user_agent === PAGE_USER_AGENT && isRead(trace);
}

/**
 * Who an actor is on the diagram.
 * @param {string} actor "student", "scheduler", "kubelet/node-1", "controller-manager/replicaset"...
 * @returns {{kind: string, anchor: string}} kind: user|scheduler|kubelet|controller|apiserver
 */
export function actorPlace(actor) {
  const [component, instance = ""] = actor.split("/");
  if (component === "scheduler" || component === "kube-scheduler") {
    return { kind: "scheduler", anchor: "scheduler" };
  }
  if ((component === "kubelet" || component === "kube-proxy") && instance) {
    return { kind: "kubelet", anchor: `kubelet:${instance}` };
  }
  if (component.includes("controller")) return { kind: "controller", anchor: "controller-manager" };
  if (component === "kube-apiserver") return { kind: "apiserver", anchor: "apiserver" };
  return { kind: "user", anchor: "user" };
}

/** "pod web", "node node-1", "lease node-1" */
function objectWords(trace) {
  const singular = trace.resource.replace(/s$/, "");
  return trace.name ? `${singular} ${trace.name}` : trace.resource;
}

/**
 * The short label a travelling message carries.
 * @param {object} trace
 * @param {object|null} object the object after the write, when known
 * @returns {string}
 */
function requestLabel(trace, object) {
  const { verb, resource, subresource, name } = trace;
  if (resource === "pods" && subresource === "binding") {
    const node = object?.spec?.nodeName;
    return node ? `bind ${name} → ${node}` : `bind ${name}`;
  }
  if (resource === "pods" && subresource === "status") {
    return object ? `status: ${podStatus(object).label}` : `status of ${name}`;
  }
  if (resource === "nodes" && subresource === "status") return `${name} is alive`;
  if (resource === "leases" && verb === "update") return `renew lease ${name}`;
  if (resource === "events" && verb === "create") {
    return object?.reason ? `event: ${object.reason}` : "record an event";
  }
  if (verb === "list" || verb === "watch") return `${verb} ${resource}`;
  return `${verb} ${objectWords(trace)}`;
}

/** The API server's answer to a read: "2 found", "pod web", or the code. */
function replyLabel(trace) {
  const found = /: (\d+) found/.exec(trace.narration ?? "");
  if (found) return `${found[1]} found`;
  if (trace.verb === "get") return `here is ${objectWords(trace)}`;
  return `${trace.code} OK`;
}

/** Where a fault lands. */
function faultTarget(trace, podNode) {
  if (trace.verb === "crash") {
    const node = podNode(trace.namespace, trace.name);
    return node ? `runtime:${node}` : "workers";
  }
  if (trace.verb === "boot") return `node:${trace.name}`;
  return actorPlace(trace.name).anchor; // stop/start name the component: "kubelet/node-1"
}

/**
 * The hops a trace travels, in order.
 * @param {object} trace an API call's trace
 * @param {object} [context]
 * @param {object|null} [context.object] the object this write produced (from the batch's events)
 * @param {(namespace: string, name: string) => string} [context.podNode] the node a pod is on now
 * @returns {Hop[]}
 */
export function traceHops(trace, { object = null, podNode = () => "" } = {}) {
  const caller = actorPlace(trace.actor);
  if (isClockControl(trace)) {
    const what = trace.verb === "step" ? `step ${trace.name === "all" ? "every component" : trace.name}`
      : trace.verb === "mode" ? `components: ${trace.name}` : `${trace.verb} the clock`;
    return [{ from: caller.anchor, to: "apiserver", label: what, kind: "request" }];
  }
  if (isFault(trace)) {
    const label = `⚡ ${trace.verb} ${trace.name}`;
    return [{ from: caller.anchor, to: faultTarget(trace, podNode), label, kind: "fault" }];
  }
  const hops = [];
  const fromApiServer = caller.kind === "apiserver";
  if (caller.kind === "kubelet" && trace.resource === "pods" && trace.subresource === "status") {
    const node = caller.anchor.slice("kubelet:".length);
    hops.push({ from: caller.anchor, to: `runtime:${node}`, label: `CRI: how is ${trace.name}?`, kind: "runtime" });
  }
  if (!fromApiServer) {
    hops.push({ from: caller.anchor, to: "apiserver", label: requestLabel(trace, object), kind: "request" });
  }
  if (trace.code >= 400) {
    const why = trace.reason ? `${trace.code} ${trace.reason}` : String(trace.code);
    hops.push({ from: "apiserver", to: "apiserver", label: why, kind: "refused" });
    return hops;
  }
  if (isWrite(trace)) {
    hops.push({ from: "apiserver", to: "etcd", label: `store ${objectWords(trace)}`, kind: "write", commits: true });
    if (caller.kind === "user") {
      hops.push({ from: "apiserver", to: "user", label: trace.code === 201 ? "201 Created" : `${trace.code} OK`, kind: "reply" });
    }
    const node = trace.resource === "pods" ? object?.spec?.nodeName : "";
    if (node && caller.anchor !== `kubelet:${node}`) {
      const what = trace.subresource === "binding" ? `run ${trace.name}`
        : trace.verb === "delete" ? `stop ${trace.name}` : `${trace.name} changed`;
      hops.push({ from: "apiserver", to: `kubelet:${node}`, label: `watch: ${what}`, kind: "notify" });
    }
  } else if (isRead(trace) && !fromApiServer) {
    hops.push({ from: "apiserver", to: caller.anchor, label: replyLabel(trace), kind: "reply" });
  }
  return hops;
}
