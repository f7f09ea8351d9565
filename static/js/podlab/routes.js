/**
 * Which way each API call travels on the diagram, hop by hop, in the order
 * the lesson tells it: the caller asks the API server; a write goes on to
 * etcd; a pod write that concerns a node reaches that node's kubelet through
 * its watch; a refused call stops at the API server.
 *
 * Hops name diagram anchors: "user", "apiserver", "etcd", "scheduler",
 * "controller-manager", "kubelet:<node>", "runtime:<node>", "proxy:<node>",
 * "node:<node>", "workers".
 */

import { podStatus } from "./status.js";

const WRITE_VERBS = new Set(["create", "update", "patch", "delete"]);
const READ_VERBS = new Set(["get", "list", "watch"]);
const FAULT_VERBS = new Set(["crash", "stop", "start", "boot"]);
/** The live page's user agent (cluster/apiserver/authn.py LIVE_PAGE_USER_AGENT). */
const PAGE_USER_AGENT = "podlab-live-page";
/** The sandbox clock's controls, traced by the API server like faults (sandbox/views.py). */
const CLOCK_VERBS = new Set(["pause", "resume", "speed", "step", "mode"]);
/** The etcd stage of a server dry run (cluster/apiserver/registry.py DRY_RUN_STAGE). */
const DRY_RUN_STAGE = "dry run: nothing was stored";
/** The API server's stages before etcd, in the order a request passes them. */
const STAGES = ["authentication", "authorization", "admission", "validation"];

/**
 * The events a kubelet records as the outcome of its calls to the container runtime
 * (CRI), and those calls, in the order the kubelet makes them (cluster/components/kubelet):
 * it records Pulling, then calls PullImage; it learns the image is there (ImageStatus),
 * then records Pulled; it calls CreateContainer, then records Created; StartContainer,
 * then Started; it records Killing, then calls StopContainer.
 */
const RUNTIME_CALLS = {
  Pulling: { pattern: /image "([^"]+)"/, words: (image) => `PullImage ${image}`, after: true },
  Pulled: {
    pattern: /image "([^"]+)"/,
    words: (image, message) => (message.startsWith("Successfully") ? `pulled ${image}` : `${image} already present`),
    answer: true,
  },
  Created: { pattern: /container:? (\S+)/, words: (name) => `CreateContainer ${name}` },
  Started: { pattern: /container (\S+)/, words: (name) => `StartContainer ${name}` },
  Killing: { pattern: /container (\S+)/, words: (name) => `StopContainer ${name}`, after: true },
};

/**
 * @typedef {object} Hop
 * @property {string} from  anchor
 * @property {string} to    anchor (the same as from for a "refused" stop)
 * @property {string} label what the message says, briefly
 * @property {"request"|"stages"|"reply"|"write"|"notify"|"runtime"|"refused"|"fault"|"marks"} kind
 *   stages: the lights at the API server; marks: the scheduler's filter marks on the nodes
 * @property {boolean} [commits] the write is in etcd once this hop arrives
 * @property {object[]} [stages] for "stages": the trace's stages before etcd
 * @property {string} [detail] for "refused": why, as the refusing stage said it
 * @property {object} [decision] for "marks": the scheduling note
 */

/** @param {object} trace @returns {boolean} a successful create/update/patch/delete that wrote to etcd */
export function isWrite(trace) {
  return WRITE_VERBS.has(trace.verb) && trace.code >= 200 && trace.code < 300 && !isDryRun(trace);
}

/** @param {object} trace @returns {boolean} a server dry run (dryRun=All): every stage ran, nothing was stored */
export function isDryRun(trace) {
  return (trace.stages ?? []).some((entry) => entry.stage === "etcd" && entry.detail === DRY_RUN_STAGE);
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
 * A controller's look at the cluster: the controller manager's controllers and each
 * node's kube-proxy read (list, watch) every few seconds, and only what they write
 * tells a step of the lesson ("replicaset ... wants 3, sees 2: creating 1"). The
 * timeline folds these reads with the heartbeats.
 * @param {object} trace
 * @returns {boolean}
 */
export function isControllerRead(trace) {
  const reader = trace.actor.startsWith("controller-manager/") || trace.actor.startsWith("kube-proxy/");
  return reader && isRead(trace);
}

/**
 * Routine calls: heartbeats and recorded events. The picture hurries through
 * them like reads. An event that records a kubelet's call to the container
 * runtime (pull, create, start, stop) is a step of the story, not routine,
 * when the event itself (object) is known; the timeline lists every event.
 * @param {object} trace
 * @param {object|null} [object] the object the call wrote, when known
 * @returns {boolean}
 */
export function isRoutine(trace, object = null) {
  if (runtimeCall(trace, object)) return false;
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
 * The scheduler's ask, "any pods to schedule?" (its list of pods without a node; the
 * API server's narration names the field selector), and how many it found.
 * @param {object} trace
 * @returns {number|null} the pods found, or null when the call is no such ask
 */
export function schedulerAsk(trace) {
  if (actorPlace(trace.actor).kind !== "scheduler" || trace.verb !== "list" || trace.resource !== "pods") {
    return null;
  }
  const ask = /matching spec\.nodeName=: (\d+) found/.exec(trace.narration ?? "");
  return ask ? Number(ask[1]) : null;
}

/**
 * Whether a call is a step of the story, or one the picture may hurry through (reads,
 * heartbeats, events): the scheduler's ask that finds a pod to place is a step (the
 * lesson's "Anything now? Yes: a new pod"), the asks that find nothing are not.
 * @param {object} trace
 * @param {object|null} [object] the object the call wrote, when known
 * @returns {boolean}
 */
export function isMinor(trace, object = null) {
  if (schedulerAsk(trace)) return false;
  return isRead(trace) || isRoutine(trace, object);
}

/**
 * Who an actor is on the diagram. A node's kube-proxy counts with the kubelets (the
 * timeline's "kubelets" filter: the node's own components) and speaks from its chip.
 * @param {string} actor "student", "scheduler", "kubelet/node-1", "kube-proxy/node-1",
 *   "controller-manager/replicaset"...
 * @returns {{kind: string, anchor: string}} kind: user|scheduler|kubelet|controller|apiserver
 */
export function actorPlace(actor) {
  const [component, instance = ""] = actor.split("/");
  if (component === "scheduler" || component === "kube-scheduler") {
    return { kind: "scheduler", anchor: "scheduler" };
  }
  if (component === "kubelet" && instance) return { kind: "kubelet", anchor: `kubelet:${instance}` };
  if (component === "kube-proxy" && instance) return { kind: "kubelet", anchor: `proxy:${instance}` };
  if (component.includes("controller")) return { kind: "controller", anchor: "controller-manager" };
  if (component === "kube-apiserver") return { kind: "apiserver", anchor: "apiserver" };
  return { kind: "user", anchor: "user" };
}

/**
 * The kubelet's call to the container runtime that a recorded event tells of.
 * @param {object} trace
 * @param {object|null} event the Event the call wrote
 * @returns {{label: string, after: boolean, answer: boolean}|null} after: the event is
 *   recorded before the call; answer: the runtime's answer travels back to the kubelet
 */
export function runtimeCall(trace, event) {
  if (trace.resource !== "events" || !trace.actor.startsWith("kubelet/") || !event) return null;
  const call = RUNTIME_CALLS[event.reason];
  const what = call?.pattern.exec(event.message ?? "");
  if (!what) return null;
  return { label: call.words(what[1], event.message), after: Boolean(call.after), answer: Boolean(call.answer) };
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
    return node ? `bind ${name} to ${node}` : `bind ${name}`;
  }
  if (resource === "pods" && subresource === "status") {
    return object ? `status: ${podStatus(object).label}` : `status of ${name}`;
  }
  if (resource === "nodes" && subresource === "status") return `${name} is alive`;
  if (resource === "leases" && verb === "update") return `renew lease ${name}`;
  if (resource === "events" && verb === "create") {
    return object?.reason ? `event: ${object.reason}` : "record an event";
  }
  if (schedulerAsk(trace) !== null) return "any pods to schedule?";
  if (verb === "list" || verb === "watch") return `${verb} ${resource}`;
  return `${verb} ${objectWords(trace)}`;
}

/** The API server's answer to a read: "2 found", "pod web", or the code. */
function replyLabel(trace) {
  const asked = schedulerAsk(trace);
  if (asked !== null) return asked ? `yes: ${asked} found` : "no: 0 found";
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
  if (trace.verb === "boot" || trace.resource === "nodes") return `node:${trace.name}`; // a node powers off or on
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
  const runtime = caller.anchor.startsWith("kubelet:") ? `runtime:${caller.anchor.slice("kubelet:".length)}` : "";
  if (runtime && trace.resource === "pods" && trace.subresource === "status") {
    hops.push({ from: caller.anchor, to: runtime, label: `CRI: how is ${trace.name}?`, kind: "runtime" });
  }
  const cri = runtimeCall(trace, object);
  if (cri && !cri.after) {
    const [from, to] = cri.answer ? [runtime, caller.anchor] : [caller.anchor, runtime];
    hops.push({ from, to, label: cri.label, kind: "runtime" });
  }
  if (!fromApiServer) {
    hops.push({ from: caller.anchor, to: "apiserver", label: requestLabel(trace, object), kind: "request" });
    const stages = stagesBeforeEtcd(trace);
    if (stages.length) {
      hops.push({ from: "apiserver", to: "apiserver", label: stages.map((s) => s.stage).join(", "), kind: "stages", stages });
    }
  }
  if (trace.code >= 400) {
    const code = trace.reason ? `${trace.code} ${trace.reason}` : String(trace.code);
    const detail = (trace.stages ?? []).find((entry) => !entry.ok)?.detail ?? "";
    hops.push({ from: "apiserver", to: "apiserver", label: code, detail, kind: "refused" });
    return hops;
  }
  if (isWrite(trace)) {
    hops.push({ from: "apiserver", to: "etcd", label: storeLabel(trace, object), kind: "write", commits: true });
    if (caller.kind === "user") {
      hops.push({ from: "apiserver", to: "user", label: trace.code === 201 ? "201 Created" : `${trace.code} OK`, kind: "reply" });
    }
    const node = trace.resource === "pods" ? object?.spec?.nodeName : "";
    if (node && caller.anchor !== `kubelet:${node}`) {
      const what = trace.subresource === "binding" ? `run ${trace.name}`
        : trace.verb === "delete" ? `stop ${trace.name}` : `${trace.name} changed`;
      hops.push({ from: "apiserver", to: `kubelet:${node}`, label: `watch: ${what}`, kind: "notify" });
    }
  } else if (isDryRun(trace) && !fromApiServer) {
    hops.push({ from: "apiserver", to: caller.anchor, label: "dry run: nothing stored", kind: "reply" });
  } else if ((isRead(trace) || trace.verb === "deletecollection") && !fromApiServer) {
    // A deletecollection answers what it listed; each delete it makes travels on its own.
    hops.push({ from: "apiserver", to: caller.anchor, label: replyLabel(trace), kind: "reply" });
  }
  if (cri?.after) hops.push({ from: caller.anchor, to: runtime, label: cri.label, kind: "runtime" });
  return hops;
}

/**
 * The stages a request passed (or failed) at the API server before etcd, in order.
 * Reads have no admission or validation: only what the trace records is shown. A
 * write refused on the way also lists the stages it never reached (ok: null).
 * @param {object} trace
 * @returns {{stage: string, ok: boolean|null, detail: string}[]}
 */
export function stagesBeforeEtcd(trace) {
  const passed = (trace.stages ?? []).filter((entry) => STAGES.includes(entry.stage));
  const stopped = passed.find((entry) => !entry.ok);
  if (!stopped || !WRITE_VERBS.has(trace.verb)) return passed;
  const unreached = STAGES.slice(STAGES.indexOf(stopped.stage) + 1);
  return [...passed, ...unreached.map((stage) => ({ stage, ok: null, detail: "not reached" }))];
}

/** What the API server writes to etcd: a binding is stored as such. */
function storeLabel(trace, object) {
  if (trace.resource === "pods" && trace.subresource === "binding") {
    const node = object?.spec?.nodeName;
    return node ? `store binding ${trace.name} → ${node}` : `store binding of ${trace.name}`;
  }
  return `store ${objectWords(trace)}`;
}

/**
 * The scheduler's decision as a step of its own, right before the binding (or the
 * pending status) that acts on it: filter marks and scores on the nodes.
 * @param {object} note a {"type": "scheduling"} message (cluster/runs.py scheduling_note)
 * @returns {Hop[]}
 */
export function schedulingHops(note) {
  const chosen = note.node ? `${note.pod.name} → ${note.node}` : `no node for ${note.pod.name}`;
  return [{ from: "scheduler", to: "scheduler", label: `filter and score: ${chosen}`, kind: "marks", decision: note }];
}

/**
 * What the scheduler's decision step tells, in a sentence.
 * @param {object} note a {"type": "scheduling"} message
 * @returns {string}
 */
export function decisionNarration(note) {
  const pod = `${note.pod.namespace}/${note.pod.name}`;
  if (!note.node) return `kube-scheduler found no node for ${pod}: ${note.message}`;
  const chosen = note.nodes.find((node) => node.name === note.node);
  const score = note.feasible_nodes > 1 && chosen ? ` (total score ${chosen.score})` : "";
  return `kube-scheduler filtered and scored the nodes: ${pod} goes to ${note.node}${score}`;
}
