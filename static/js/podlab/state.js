/**
 * The page's copy of the cluster: built from a snapshot, kept current by the
 * websocket's change batches, and remembered batch by batch so the student
 * can scrub back through every revision seen since the page opened.
 *
 * Objects are never mutated: an event replaces an object, so copies of the
 * state share objects and cost one Map copy.
 */

/**
 * Where upstream keeps a resource in etcd, when not under its plural:
 * Nodes under "minions", ReplicationControllers under "controllers", Services under "services/specs".
 */
const STORE_PREFIXES = {
  nodes: "minions",
  replicationcontrollers: "controllers",
  services: "services/specs",
  endpoints: "services/endpoints",
};
const RESOURCE_OF_PREFIX = Object.fromEntries(Object.entries(STORE_PREFIXES).map(([name, prefix]) => [prefix, name]));

/** The workload kinds the page keeps, by resource: store key -> object. */
export const WORKLOAD_RESOURCES = ["deployments", "replicasets", "replicationcontrollers", "services", "endpointslices"];

/**
 * The store key of an object, as the API server writes it:
 * "/registry/pods/default/web", "/registry/minions/node-1",
 * "/registry/services/specs/default/web".
 * @param {string} resource "pods", "nodes", "services"...
 * @param {object} object a Kubernetes object
 * @returns {string}
 */
export function objectKey(resource, object) {
  const { namespace, name } = object?.metadata ?? {};
  const prefix = STORE_PREFIXES[resource] ?? resource;
  return namespace ? `/registry/${prefix}/${namespace}/${name}` : `/registry/${prefix}/${name}`;
}

/**
 * Split a store key into its parts.
 * @param {string} key "/registry/pods/default/web", "/registry/services/specs/default/web"
 * @returns {{resource: string, namespace: string, name: string}}
 */
export function parseKey(key) {
  const parts = key.split("/").filter(Boolean); // ["registry", "pods", "default", "web"]
  const twoPart = `${parts[1]}/${parts[2]}`;
  const [resource, rest] = twoPart in RESOURCE_OF_PREFIX
    ? [RESOURCE_OF_PREFIX[twoPart], parts.slice(3)]
    : [RESOURCE_OF_PREFIX[parts[1]] ?? parts[1] ?? "", parts.slice(2)];
  if (rest.length >= 2) return { resource, namespace: rest[0], name: rest.slice(1).join("/") };
  return { resource, namespace: "", name: rest[0] ?? "" };
}

/** Fault verbs change a component, not an object (see cluster/faults.py). */
const COMPONENT_VERBS = { stop: false, start: true };
/** The controller manager is stopped and started whole: each controller is a component. */
const CONTROLLER_MANAGER = "controller-manager";
/** Workloads whose status their own controller writes after acting. */
const OWN_STATUS = new Set(["deployments", "replicasets", "replicationcontrollers"]);
/** A node's components, which power off and on with it (cluster/faults.py node_stop). */
const NODE_COMPONENTS = ["kubelet", "kube-proxy"];

/**
 * What a controller of the controller manager last did, from a write it made:
 * "controller-manager/replicaset: replicaset default/web-7d4b9 wants 3, sees 2: creating 1;
 * created pod ..." (the API server puts the controller's reason between its name and what
 * the call did: cluster/apiserver/server.py _narration).
 * @param {object} trace
 * @returns {{id: number, controller: string, reason: string, action: string}|null}
 */
export function controllerAction(trace) {
  const prefix = `${CONTROLLER_MANAGER}/`;
  if (!trace.actor?.startsWith(prefix) || trace.code >= 400) return null;
  if (!["create", "update", "patch", "delete"].includes(trace.verb)) return null;
  // The events a controller records, and the status it writes on its own workload, tell of
  // an act already told by the write before them ("creating 1", then "updating its status").
  if (trace.resource === "events") return null;
  if (trace.subresource === "status" && OWN_STATUS.has(trace.resource)) return null;
  const controller = trace.actor.slice(prefix.length);
  const narration = trace.narration ?? "";
  const told = narration.startsWith(`${trace.actor}: `)
    ? narration.slice(trace.actor.length + 2).split("; ")[0]
    : narration.replace(`${trace.actor} `, "").split(": ")[0];
  // The reason's last clause is what it decided: "... wants 3, sees 2: creating 1".
  const action = told.split(": ").at(-1);
  return { id: trace.id ?? 0, controller, reason: told, action };
}

/**
 * Nodes, pods and components at one revision.
 */
export class ClusterState {
  constructor() {
    /** @type {number} last revision applied */
    this.revision = 0;
    /** @type {object|null} the snapshot's sandbox clock */
    this.sandbox = null;
    /** @type {Map<string, object>} node name -> Node */
    this.nodes = new Map();
    /** @type {Map<string, object>} store key -> Pod */
    this.pods = new Map();
    /** @type {Map<string, boolean>} "scheduler", "kubelet/node-1" -> running */
    this.components = new Map();
    /** @type {Map<string, {failure: string, since: string|null}>} components whose ticks fail */
    this.failures = new Map();
    /** @type {number} the newest trace applied: older traces are in this state */
    this.lastTraceId = 0;
    /** @type {Map<string, object>} store key -> Deployment */
    this.deployments = new Map();
    /** @type {Map<string, object>} store key -> ReplicaSet */
    this.replicasets = new Map();
    /** @type {Map<string, object>} store key -> ReplicationController */
    this.replicationcontrollers = new Map();
    /** @type {Map<string, object>} store key -> Service */
    this.services = new Map();
    /** @type {Map<string, object>} store key -> EndpointSlice */
    this.endpointslices = new Map();
    /** @type {ReturnType<typeof controllerAction>} the controller that acted last */
    this.lastController = null;
  }

  /**
   * @param {string} resource "pods", "nodes", "deployments"...
   * @returns {Map<string, object>|null} its objects (nodes by name, the rest by store key)
   */
  table(resource) {
    if (resource === "pods" || resource === "nodes" || WORKLOAD_RESOURCES.includes(resource)) return this[resource];
    return null;
  }

  /**
   * A state from a snapshot message (also the websocket's first message).
   * @param {object} snapshot {"type":"snapshot","revision","sandbox","nodes","pods","components",...}
   * @returns {ClusterState}
   */
  static fromSnapshot(snapshot) {
    const state = new ClusterState();
    state.revision = snapshot.revision ?? 0;
    state.sandbox = snapshot.sandbox ?? null;
    for (const node of snapshot.nodes ?? []) state.nodes.set(node.metadata.name, node);
    for (const pod of snapshot.pods ?? []) state.pods.set(objectKey("pods", pod), pod);
    for (const resource of WORKLOAD_RESOURCES) {
      for (const object of snapshot[resource] ?? []) state[resource].set(objectKey(resource, object), object);
    }
    for (const component of snapshot.components ?? []) {
      state.components.set(component.name, Boolean(component.running));
      state.setHealth(component);
    }
    for (const trace of snapshot.traces ?? []) {
      state.lastTraceId = Math.max(state.lastTraceId, trace.id);
      state.noteController(trace);
    }
    return state;
  }

  /** @returns {ClusterState} a copy that shares the (immutable) objects */
  clone() {
    const copy = new ClusterState();
    copy.revision = this.revision;
    copy.sandbox = this.sandbox;
    copy.nodes = new Map(this.nodes);
    copy.pods = new Map(this.pods);
    copy.components = new Map(this.components);
    copy.failures = new Map(this.failures);
    copy.lastTraceId = this.lastTraceId;
    for (const resource of WORKLOAD_RESOURCES) copy[resource] = new Map(this[resource]);
    copy.lastController = this.lastController;
    return copy;
  }

  /**
   * Apply a changes batch: its store events, then what its traces say
   * about components. Advances the revision when the batch wrote.
   * @param {{revision: number, events?: object[], traces?: object[]}} batch
   */
  applyBatch(batch) {
    for (const event of batch.events ?? []) this.applyEvent(event);
    for (const trace of batch.traces ?? []) this.applyTrace(trace);
    if ((batch.events ?? []).length) this.revision = Math.max(this.revision, batch.revision);
  }

  /**
   * @param {{type: string, key: string, object: object|null}} event a store event
   */
  applyEvent(event) {
    this.setObject(event.key, event.type === "DELETED" ? null : event.object);
  }

  /**
   * Take a store event back: the object as it was before it (history replay).
   * @param {{type: string, key: string, previous: object|null}} event
   */
  undoEvent(event) {
    this.setObject(event.key, event.type === "ADDED" ? null : event.previous);
  }

  /** @param {string} key a store key @param {object|null} object null: gone */
  setObject(key, object) {
    const { resource, name } = parseKey(key);
    const table = this.table(resource);
    if (!table) return;
    const id = resource === "nodes" ? name : key;
    if (object === null) {
      table.delete(id);
      if (resource === "nodes") {
        for (const component of NODE_COMPONENTS) this.components.delete(`${component}/${name}`);
      }
    } else if (object) {
      table.set(id, object);
    }
  }

  /**
   * Components change outside the store: the sandbox's fault traces say so
   * ("stop" / "start" a component, "boot" a node whose kubelet starts).
   * @param {object} trace
   */
  applyTrace(trace) {
    this.lastTraceId = Math.max(this.lastTraceId, trace.id ?? 0);
    if (trace.code >= 400) return;
    this.noteController(trace);
    if (trace.verb in COMPONENT_VERBS) {
      this.setRunning(trace, COMPONENT_VERBS[trace.verb]);
    } else if (trace.verb === "boot") {
      this.components.set(`kubelet/${trace.name}`, true);
    }
  }

  /** @param {object} trace a controller's write names the controller that acted last */
  noteController(trace) {
    const action = controllerAction(trace);
    if (action && action.id >= (this.lastController?.id ?? 0)) this.lastController = action;
  }

  /**
   * A stop or start fault: of a component ("scheduler", "kubelet/node-1"), of the whole
   * controller manager (each of its controllers), or of a node (its kubelet and kube-proxy).
   */
  setRunning(trace, running) {
    const names = trace.resource === "nodes"
      ? NODE_COMPONENTS.map((component) => `${component}/${trace.name}`)
      : [trace.name];
    if (trace.name === CONTROLLER_MANAGER) {
      names.push(...[...this.components.keys()].filter((name) => name.startsWith(`${CONTROLLER_MANAGER}/`)));
    }
    for (const name of names) this.components.set(name, running);
  }

  /**
   * Take a component fault back (history replay): before a "stop" it ran,
   * before a "start" it was stopped, before a "boot" its kubelet was not there.
   * @param {object} trace
   */
  undoTrace(trace) {
    if (trace.code >= 400) return;
    // What acted before it is not known from here: the subtitle says nothing until the next.
    if (this.lastController && this.lastController.id === trace.id) this.lastController = null;
    if (trace.verb in COMPONENT_VERBS) {
      this.setRunning(trace, !COMPONENT_VERBS[trace.verb]);
    } else if (trace.verb === "boot") {
      this.components.delete(`kubelet/${trace.name}`);
    }
  }

  /**
   * How a component's ticks go, from the snapshot or a "component" note.
   * @param {{name: string, failure?: string, failingSince?: string|null}} component
   */
  setHealth(component) {
    if (component.failure) {
      this.failures.set(component.name, { failure: component.failure, since: component.failingSince ?? null });
    } else {
      this.failures.delete(component.name);
    }
  }

  /**
   * @param {string} name "scheduler", "kubelet/node-1"...
   * @returns {{failure: string, since: string|null}|null} why its ticks fail, null if they do not
   */
  failureOf(name) {
    return this.failures.get(name) ?? null;
  }

  /**
   * @param {string} name "scheduler", "kubelet/node-1"...
   * @returns {boolean} running; a component the sandbox never mentioned runs. The
   *   controller manager runs while any of its controllers does (the snapshot lists them
   *   one by one: "controller-manager/replicaset"...).
   */
  isRunning(name) {
    if (this.components.has(name)) return this.components.get(name);
    if (name !== CONTROLLER_MANAGER) return true;
    const controllers = [...this.components].filter(([component]) => component.startsWith(`${CONTROLLER_MANAGER}/`));
    return !controllers.length || controllers.some(([, running]) => running);
  }
}

/**
 * What to do with a changes batch, given the last revision applied:
 * "stale" (older than what we have: ignore), "gap" (we missed one: resync)
 * or "apply". Revisions advance by one per committed write; a batch of
 * read traces carries the current revision without advancing it.
 * @param {number} applied last revision applied
 * @param {{revision: number, events?: object[]}} batch
 * @returns {"stale"|"gap"|"apply"}
 */
export function classifyBatch(applied, batch) {
  const wrote = (batch.events ?? []).length > 0;
  if (batch.revision < applied || (wrote && batch.revision <= applied)) return "stale";
  if (batch.revision > applied + 1 || (wrote && batch.revision !== applied + 1)) return "gap";
  return "apply";
}

/** Rebuilding an old revision starts from the nearest copy, at most this many batches back. */
const CHECKPOINT_EVERY = 200;

/**
 * Every snapshot and batch applied since the page opened, and the pages of
 * older history the server sent (prepend), to rebuild the cluster at any
 * revision (replay) and to find the before/after of a write (the timeline).
 */
export class History {
  /** @param {{limit?: number}} [options] batches kept before the oldest are forgotten */
  constructor({ limit = 40000 } = {}) {
    this.limit = limit;
    /** @type {Array<{revision: number, base?: ClusterState, batch?: object}>} arrival order */
    this.frames = [];
    /** @type {Map<number, object[]>} revision -> the store events written at it */
    this.eventsByRevision = new Map();
    this.batchesSinceCheckpoint = 0;
  }

  /** @param {ClusterState} state a state just built from a snapshot */
  recordSnapshot(state) {
    this.frames.push({ revision: state.revision, base: state.clone() });
    this.batchesSinceCheckpoint = 0;
  }

  /**
   * @param {object} batch a changes batch just applied
   * @param {ClusterState} stateAfter the live state after applying it
   */
  recordBatch(batch, stateAfter) {
    this.frames.push({ revision: batch.revision, batch });
    for (const event of batch.events ?? []) {
      const list = this.eventsByRevision.get(event.revision) ?? [];
      list.push(event);
      this.eventsByRevision.set(event.revision, list);
    }
    this.batchesSinceCheckpoint += 1;
    if (this.batchesSinceCheckpoint >= CHECKPOINT_EVERY) {
      this.frames.push({ revision: stateAfter.revision, base: stateAfter.clone() });
      this.batchesSinceCheckpoint = 0;
    }
    this.forgetOldest();
  }

  forgetOldest() {
    if (this.frames.length <= this.limit) return;
    const nextBase = this.frames.findIndex((frame, index) => index > 0 && frame.base);
    if (nextBase <= 0) return;
    for (const frame of this.frames.slice(0, nextBase)) {
      for (const event of frame.batch?.events ?? []) this.eventsByRevision.delete(event.revision);
    }
    this.frames.splice(0, nextBase);
  }

  /**
   * Put a page of older history (GET history/, see sandbox/history.py) before
   * the oldest state remembered: that state, rewound through the page's
   * changes, becomes the new oldest, and the page's changes are replayed
   * from it like batches.
   * @param {{from: number, to: number, events: object[], traces: object[]}} page
   * @returns {boolean} false when nothing remembered is old enough to rewind from
   */
  prepend(page) {
    const first = this.frames[0];
    if (!first?.base || page.to > first.revision) return false;
    const newest = first.base;
    // Calls made after the oldest state was taken are already in what followed it.
    const traces = page.traces.filter((trace) => trace.id <= newest.lastTraceId && trace.revision > page.from);
    const events = page.events.filter((event) => event.revision > page.from && event.revision <= newest.revision);
    const rewound = newest.clone();
    for (const event of [...events].reverse()) rewound.undoEvent(event);
    for (const trace of [...traces].reverse()) rewound.undoTrace(trace);
    rewound.revision = page.from;

    const byRevision = new Map();
    const batchAt = (revision) => {
      if (!byRevision.has(revision)) byRevision.set(revision, { revision, events: [], traces: [] });
      return byRevision.get(revision);
    };
    for (const event of events) batchAt(event.revision).events.push(event);
    for (const trace of traces) batchAt(trace.revision).traces.push(trace);
    const batches = [...byRevision.values()].sort((a, b) => a.revision - b.revision);

    const frames = [{ revision: page.from, base: rewound.clone() }];
    const state = rewound;
    batches.forEach((batch, index) => {
      frames.push({ revision: batch.revision, batch });
      state.applyBatch(batch);
      if ((index + 1) % CHECKPOINT_EVERY === 0) frames.push({ revision: state.revision, base: state.clone() });
    });
    // Older than anything seen live, so no revision here has its events yet.
    for (const batch of batches) {
      if (batch.events.length && !this.eventsByRevision.has(batch.revision)) {
        this.eventsByRevision.set(batch.revision, batch.events);
      }
    }
    this.frames.unshift(...frames);
    return true;
  }

  /** @returns {number} the oldest revision the history can rebuild */
  oldestRevision() {
    return this.frames[0]?.revision ?? 0;
  }

  /**
   * The cluster as it was at a revision: the latest copy at or before it,
   * plus the batches that followed up to it.
   * @param {number} revision
   * @returns {ClusterState|null} null when nothing that old is remembered
   */
  stateAt(revision) {
    let start = -1;
    for (let index = this.frames.length - 1; index >= 0; index -= 1) {
      const frame = this.frames[index];
      if (frame.base && frame.revision <= revision) {
        start = index;
        break;
      }
    }
    if (start < 0) return null;
    const state = this.frames[start].base.clone();
    for (const frame of this.frames.slice(start + 1)) {
      if (frame.base || frame.revision > revision) break;
      state.applyBatch(frame.batch);
    }
    return state;
  }

  /**
   * The store events a write committed at this revision (seen live only).
   * @param {number} revision
   * @returns {object[]}
   */
  eventsAt(revision) {
    return this.eventsByRevision.get(revision) ?? [];
  }
}
