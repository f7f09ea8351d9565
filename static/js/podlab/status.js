/**
 * What kubectl prints in its STATUS columns, computed from the objects, so the
 * diagram says exactly what `kubectl get pods` and `kubectl get nodes` say.
 */

const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";

/**
 * Each status label falls in one visual kind; the kind picks the colour,
 * the icon and the border pattern, the label is always printed too.
 */
const KIND_BY_LABEL = {
  Running: "running",
  Pending: "pending",
  ContainerCreating: "creating",
  PodInitializing: "creating",
  CrashLoopBackOff: "crash",
  ErrImagePull: "image",
  ImagePullBackOff: "image",
  InvalidImageName: "image",
  ErrImageNeverPull: "image",
  CreateContainerConfigError: "failed",
  CreateContainerError: "failed",
  RunContainerError: "failed",
  ContainerCannotRun: "failed",
  Error: "failed",
  OOMKilled: "failed",
  Failed: "failed",
  Evicted: "failed",
  Completed: "succeeded",
  Succeeded: "succeeded",
  Terminating: "terminating",
  NotReady: "unknown",
  Unknown: "unknown",
};

/** Which icon (a <symbol> id in the diagram) goes with each kind. */
export const ICON_BY_KIND = {
  running: "icon-check",
  pending: "icon-clock",
  creating: "icon-gear",
  crash: "icon-loop",
  image: "icon-pull",
  failed: "icon-cross",
  succeeded: "icon-done",
  terminating: "icon-trash",
  unknown: "icon-warning",
};

/**
 * @typedef {object} PodStatus
 * @property {string} label   kubectl's STATUS text ("Running", "CrashLoopBackOff", ...)
 * @property {string} kind    running|pending|creating|crash|image|failed|succeeded|terminating|unknown
 * @property {number} restarts  RESTARTS
 * @property {string} ready   READY ("1/1")
 * @property {boolean} scheduled  spec.nodeName is set
 * @property {string} message  why it waits, when the API says (e.g. the scheduler's reason)
 */

/**
 * The pod's STATUS as kubectl computes it: the phase, overridden by
 * status.reason, then by a container's waiting or terminated reason, then
 * "Terminating" when the pod has a deletionTimestamp.
 * @param {object} pod a Kubernetes Pod
 * @returns {PodStatus}
 */
export function podStatus(pod) {
  const status = pod?.status ?? {};
  let label = status.phase || "Pending";
  if (status.reason) label = status.reason;

  const initLabel = initContainersLabel(pod);
  let restarts = 0;
  let readyCount = 0;
  let hasRunning = false;
  const containers = status.containerStatuses ?? [];
  // While initializing, kubectl counts the init containers' restarts; after, the app containers'.
  const initializing = Boolean(initLabel) && !hasCondition(pod, "Initialized");
  const counted = initializing ? (status.initContainerStatuses ?? []) : containers;
  for (const container of counted) restarts += container.restartCount ?? 0;

  if (initializing) {
    label = initLabel;
  } else {
    // kubectl walks the containers from last to first, so the first one's reason wins.
    for (const container of [...containers].reverse()) {
      const state = container.state ?? {};
      if (state.waiting?.reason) {
        label = state.waiting.reason;
      } else if (state.terminated?.reason) {
        label = state.terminated.reason;
      } else if (state.terminated) {
        label = state.terminated.signal
          ? `Signal:${state.terminated.signal}`
          : `ExitCode:${state.terminated.exitCode}`;
      } else if (container.ready && state.running) {
        hasRunning = true;
        readyCount += 1;
      }
    }
    if (label === "Completed" && hasRunning) {
      label = hasCondition(pod, "Ready") ? "Running" : "NotReady";
    }
  }

  if (pod?.metadata?.deletionTimestamp) {
    label = status.reason === "NodeLost" ? "Unknown" : "Terminating";
  }

  const total = pod?.spec?.containers?.length ?? containers.length;
  return {
    label,
    kind: kindOf(label),
    restarts,
    ready: `${readyCount}/${total}`,
    scheduled: Boolean(pod?.spec?.nodeName),
    message: waitingMessage(pod),
  };
}

/**
 * "Init:0/2", "Init:CrashLoopBackOff"... or "" when init containers are done. As kubectl's
 * printPod, the label stands only while the pod's Initialized condition is not True.
 */
function initContainersLabel(pod) {
  const statuses = pod?.status?.initContainerStatuses ?? [];
  const total = pod?.spec?.initContainers?.length ?? 0;
  for (const [index, container] of statuses.entries()) {
    const state = container.state ?? {};
    if (state.terminated && state.terminated.exitCode === 0) continue;
    if (state.terminated) {
      if (state.terminated.reason) return `Init:${state.terminated.reason}`;
      return state.terminated.signal
        ? `Init:Signal:${state.terminated.signal}`
        : `Init:ExitCode:${state.terminated.exitCode}`;
    }
    if (state.waiting?.reason && state.waiting.reason !== "PodInitializing") {
      return `Init:${state.waiting.reason}`;
    }
    return `Init:${index}/${total}`;
  }
  return "";
}

function kindOf(label) {
  if (label in KIND_BY_LABEL) return KIND_BY_LABEL[label];
  if (label.startsWith("Init:")) {
    const inner = label.slice("Init:".length);
    return inner in KIND_BY_LABEL ? KIND_BY_LABEL[inner] : "creating";
  }
  if (label.startsWith("ExitCode:") || label.startsWith("Signal:")) return "failed";
  return "unknown";
}

function hasCondition(pod, type) {
  return (pod?.status?.conditions ?? []).some((c) => c.type === type && c.status === "True");
}

/** The scheduler's "0/3 nodes are available..." or a container's waiting message. */
function waitingMessage(pod) {
  const scheduled = (pod?.status?.conditions ?? []).find((c) => c.type === "PodScheduled");
  if (scheduled && scheduled.status === "False" && scheduled.message) return scheduled.message;
  const status = pod?.status ?? {};
  const containers = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  for (const container of containers) {
    const message = container.state?.waiting?.message;
    if (message) return message;
  }
  return "";
}

/**
 * @typedef {object} NodeStatus
 * @property {string} ready  "Ready" | "NotReady" | "Unknown" (kubectl's first word)
 * @property {string} label  kubectl's STATUS ("Ready,SchedulingDisabled")
 * @property {boolean} schedulable  false when cordoned (spec.unschedulable)
 * @property {boolean} kubeletRunning  false when the sandbox stopped its kubelet
 * @property {boolean} down  the node cannot run pods now: NotReady or kubelet stopped
 * @property {Array<{key: string, value?: string, effect: string}>} taints
 * @property {string} reason  the Ready condition's message, for the tooltip
 */

/**
 * A node's STATUS as kubectl prints it, plus whether its kubelet runs.
 * @param {object} node a Kubernetes Node
 * @param {boolean} [kubeletRunning=true]
 * @returns {NodeStatus}
 */
export function nodeStatus(node, kubeletRunning = true) {
  const ready = (node?.status?.conditions ?? []).find((c) => c.type === "Ready");
  let word = "Unknown";
  if (ready) word = ready.status === "True" ? "Ready" : "NotReady";
  const schedulable = !node?.spec?.unschedulable;
  return {
    ready: word,
    label: schedulable ? word : `${word},SchedulingDisabled`,
    schedulable,
    kubeletRunning,
    down: word !== "Ready" || !kubeletRunning,
    taints: node?.spec?.taints ?? [],
    reason: ready?.message ?? "",
  };
}

/**
 * @param {object} node a Kubernetes Node
 * @returns {boolean} true for control-plane nodes (by their role label)
 */
export function isControlPlane(node) {
  return Object.hasOwn(node?.metadata?.labels ?? {}, CONTROL_PLANE_LABEL);
}
