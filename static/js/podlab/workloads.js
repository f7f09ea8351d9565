/**
 * The workloads the diagram groups pods under, computed from the cluster state
 * alone (no DOM): each Deployment with its ReplicaSets, the ReplicaSets and
 * ReplicationControllers that no Deployment owns, each Service with its ready
 * endpoints. Counts come from the pods on the page, not from the objects'
 * status: while the controller manager is stopped a ReplicaSet's status keeps
 * saying 3, but the student sees 2 pods, and "2 of 3" is the lesson.
 */

import { podStatus } from "./status.js";

/** The annotation the Deployment controller numbers its ReplicaSets with. */
export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";
/** The label the EndpointSlice controller ties a slice to its Service with. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/** kubectl's short names, for the owner under a pod's name ("rs web-7d4b9"). */
const SHORT_KINDS = {
  ReplicaSet: "rs",
  ReplicationController: "rc",
  Deployment: "deploy",
  StatefulSet: "sts",
  DaemonSet: "ds",
  Job: "job",
  CronJob: "cj",
  Node: "node",
};

/** The resources a workload panel shows (sandbox/views/workloads.py WORKLOADS). */
const PANEL_RESOURCES = new Set(["deployments", "replicasets", "replicationcontrollers", "services"]);

/** "node-2" before "node-10". */
const byName = new Intl.Collator("en", { numeric: true }).compare;

/**
 * The object's managing owner: the ownerReference with controller: true.
 * @param {object} object
 * @returns {{kind: string, name: string, uid: string}|null}
 */
export function controllerOf(object) {
  return (object?.metadata?.ownerReferences ?? []).find((ref) => ref.controller) ?? null;
}

/**
 * The pod's owner in kubectl's short words: "rs web-7d4b9", "" for a bare pod.
 * @param {object} pod
 * @returns {string}
 */
export function ownerWords(pod) {
  const owner = controllerOf(pod);
  if (!owner) return "";
  return `${SHORT_KINDS[owner.kind] ?? owner.kind.toLowerCase()} ${owner.name}`;
}

/** As upstream's controller.IsPodActive: not terminal, not being deleted. */
function isActive(pod) {
  const phase = pod.status?.phase;
  return phase !== "Succeeded" && phase !== "Failed" && !pod.metadata?.deletionTimestamp;
}

/** As upstream's podutil.IsPodReady: the Ready condition is True. */
function isReady(pod) {
  return (pod.status?.conditions ?? []).some((condition) => condition.type === "Ready" && condition.status === "True");
}

/**
 * @typedef {object} Counts
 * @property {number} desired spec.replicas
 * @property {number} current its active pods
 * @property {number} ready those of them Ready
 */

/**
 * What a count badge says, and whether the controller has caught up: "3/3 ready" when
 * it has; else "2 of 3" (too few pods), "4, wants 3" (too many, a rollout's surge) or
 * "2/3 ready" (all there, some not ready yet).
 * @param {Counts} counts
 * @returns {{text: string, settled: boolean, title: string}}
 */
export function countWords({ desired, current, ready }) {
  const title = `${desired} desired, ${current} current, ${ready} ready`;
  if (current < desired) return { text: `${current} of ${desired}`, settled: false, title };
  if (current > desired) return { text: `${current}, wants ${desired}`, settled: false, title };
  return { text: `${ready}/${desired} ready`, settled: ready === desired, title };
}

/** spec.replicas, defaulted to 1 as the API server does. */
function desiredOf(object) {
  return object.spec?.replicas ?? 1;
}

function countPods(desired, pods) {
  const active = pods.filter((entry) => isActive(entry.pod));
  return { desired, current: active.length, ready: active.filter((entry) => isReady(entry.pod)).length };
}

/** "nginx:1.27.3", or the images of every container. */
function imagesOf(object) {
  return (object.spec?.template?.spec?.containers ?? []).map((container) => container.image).join(", ");
}

/**
 * @typedef {object} PodSet a ReplicaSet or ReplicationController and its pods
 * @property {string} resource "replicasets" | "replicationcontrollers"
 * @property {string} key @property {string} namespace @property {string} name
 * @property {string} revision its Deployment's revision ("" when none)
 * @property {string} image
 * @property {Counts} counts
 * @property {Array<{key: string, pod: object, kind: string}>} pods oldest first, with their status kind
 */

/**
 * @typedef {object} DeploymentGroup
 * @property {"deployments"} resource
 * @property {string} key @property {string} namespace @property {string} name
 * @property {Counts} counts over all its ReplicaSets' pods
 * @property {PodSet[]} sets oldest revision first: a rollout reads left to right
 * @property {number} older ReplicaSets scaled to zero and left out (its revision history)
 */

/**
 * @typedef {object} ServiceEntry
 * @property {"services"} resource
 * @property {string} key @property {string} namespace @property {string} name
 * @property {string} address "10.96.0.12:80", "headless:80"
 * @property {number} ready endpoints ready to take traffic
 * @property {number} notReady
 * @property {string} type
 */

function podSet(resource, key, object, podsByOwner) {
  const pods = podsByOwner.get(object.metadata?.uid) ?? [];
  return {
    resource,
    key,
    namespace: object.metadata?.namespace ?? "default",
    name: object.metadata?.name ?? "",
    revision: object.metadata?.annotations?.[REVISION_ANNOTATION] ?? "",
    image: imagesOf(object),
    counts: countPods(desiredOf(object), pods),
    pods: pods.map((entry) => ({ ...entry, kind: podStatus(entry.pod).kind })),
  };
}

/** Oldest revision first, then by name. */
function revisionOrder(a, b) {
  const ra = Number(a.revision || 0);
  const rb = Number(b.revision || 0);
  return ra !== rb ? ra - rb : byName(a.name, b.name);
}

function fullNameOrder(a, b) {
  return byName(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`);
}

/**
 * A Deployment's ReplicaSets worth drawing: those that want or have pods (two side by
 * side during a rollout, one after it). The scaled-down rest, its revision history
 * (what a rollback goes back to), is counted, not drawn.
 */
function shownSets(sets) {
  const shown = sets.filter((set) => set.counts.desired > 0 || set.pods.length > 0);
  return { shown, older: sets.length - shown.length };
}

/**
 * The ready and not-ready endpoints of a Service, over its EndpointSlices. A
 * condition left out means ready (discovery.k8s.io/v1 EndpointConditions).
 */
function endpointsOf(service, slices) {
  const ready = new Set();
  const notReady = new Set();
  for (const slice of slices) {
    for (const endpoint of slice.endpoints ?? []) {
      const address = (endpoint.addresses ?? [])[0];
      if (!address) continue;
      (endpoint.conditions?.ready === false ? notReady : ready).add(address);
    }
  }
  return { ready: ready.size, notReady: [...notReady].filter((address) => !ready.has(address)).length };
}

function serviceEntry(key, service, slices) {
  const ports = (service.spec?.ports ?? []).map((port) => port.port).join(",");
  const ip = service.spec?.clusterIP;
  const host = ip === "None" ? "headless" : ip || "(no IP yet)";
  return {
    resource: "services",
    key,
    namespace: service.metadata?.namespace ?? "default",
    name: service.metadata?.name ?? "",
    address: ports ? `${host}:${ports}` : host,
    type: service.spec?.type ?? "ClusterIP",
    ...endpointsOf(service, slices),
  };
}

/**
 * The cluster's workloads, grouped: Deployments with their ReplicaSets, the ReplicaSets
 * and ReplicationControllers no Deployment owns, and Services, each sorted by name.
 * @param {import("./state.js").ClusterState} state
 * @returns {{deployments: DeploymentGroup[], sets: PodSet[], services: ServiceEntry[]}}
 */
export function workloadGroups(state) {
  const podsByOwner = new Map();
  for (const [key, pod] of state.pods) {
    const owner = controllerOf(pod);
    if (!owner) continue;
    if (!podsByOwner.has(owner.uid)) podsByOwner.set(owner.uid, []);
    podsByOwner.get(owner.uid).push({ key, pod });
  }
  for (const list of podsByOwner.values()) {
    list.sort((a, b) => (a.pod.metadata?.creationTimestamp ?? "").localeCompare(b.pod.metadata?.creationTimestamp ?? ""));
  }

  const deploymentUids = new Map();
  for (const [key, deployment] of state.deployments) deploymentUids.set(deployment.metadata?.uid, { key, deployment, sets: [] });
  const sets = [];
  for (const [key, replicaset] of state.replicasets) {
    const set = podSet("replicasets", key, replicaset, podsByOwner);
    const owner = controllerOf(replicaset);
    const group = owner?.kind === "Deployment" ? deploymentUids.get(owner.uid) : undefined;
    (group ? group.sets : sets).push(set);
  }
  for (const [key, controller] of state.replicationcontrollers) {
    sets.push(podSet("replicationcontrollers", key, controller, podsByOwner));
  }

  const deployments = [...deploymentUids.values()].map(({ key, deployment, sets: owned }) => {
    owned.sort(revisionOrder);
    const { shown, older } = shownSets(owned);
    const pods = owned.flatMap((set) => set.pods);
    return {
      resource: "deployments",
      key,
      namespace: deployment.metadata?.namespace ?? "default",
      name: deployment.metadata?.name ?? "",
      counts: countPods(desiredOf(deployment), pods),
      sets: shown,
      older,
    };
  });

  const slicesByService = new Map();
  for (const slice of state.endpointslices.values()) {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!service) continue;
    const id = `${slice.metadata?.namespace}/${service}`;
    if (!slicesByService.has(id)) slicesByService.set(id, []);
    slicesByService.get(id).push(slice);
  }
  const services = [...state.services].map(([key, service]) => {
    const id = `${service.metadata?.namespace}/${service.metadata?.name}`;
    return serviceEntry(key, service, slicesByService.get(id) ?? []);
  });

  return {
    deployments: deployments.sort(fullNameOrder),
    sets: sets.sort(fullNameOrder),
    services: services.sort(fullNameOrder),
  };
}

/**
 * The panel a workload opens (sandbox/views/workloads.py), or null for a kind without one.
 * @param {{resource: string, namespace: string, name: string}} workload
 * @returns {string|null} the path under the sandbox
 */
export function workloadPath({ resource, namespace, name }) {
  if (!PANEL_RESOURCES.has(resource)) return null;
  return `workloads/${resource}/${namespace}/${name}/`;
}
