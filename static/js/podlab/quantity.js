/**
 * Kubernetes resource quantities ("500m", "1.5Gi", "2e3") for the node bars.
 *
 * Parsed exactly (BigInt, no floating point) and rounded up the way the
 * scheduler counts them: CPU in millicores, memory in bytes. So "0.1" + "0.2"
 * CPU is exactly 300m, as a student computes it on paper.
 */

const DECIMAL_SUFFIXES = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const SHAPE = /^([+-]?)(\d+\.?\d*|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE]?)$/;
// A page guard, not an upstream rule: "1e999999" would make a huge BigInt.
const MAX_EXPONENT = 40;

/**
 * @typedef {{digits: bigint, pow10: number, pow2: number}} Exact
 *   value = digits x 10^pow10 x 2^pow2
 */

/**
 * @param {unknown} text
 * @returns {Exact | null} null when the text is not a quantity
 */
function parseExact(text) {
  const match = SHAPE.exec(String(text ?? "").trim());
  if (!match) return null;
  const [, sign, number, suffix] = match;
  const [whole, fraction = ""] = number.split(".");
  let digits = BigInt((whole || "0") + fraction);
  if (sign === "-") digits = -digits;
  let pow10 = -fraction.length;
  let pow2 = 0;
  if (suffix in BINARY_SUFFIXES) pow2 = BINARY_SUFFIXES[suffix];
  else if (/^[eE]/.test(suffix)) pow10 += Number.parseInt(suffix.slice(1), 10);
  else pow10 += DECIMAL_SUFFIXES[suffix];
  if (Math.abs(pow10) > MAX_EXPONENT) return null;
  return { digits, pow10, pow2 };
}

/** value x 10^shift, rounded up (towards +infinity). */
function scaledCeiling(exact, shift) {
  const value = exact.digits * 2n ** BigInt(exact.pow2);
  const power = exact.pow10 + shift;
  if (power >= 0) return value * 10n ** BigInt(power);
  const divisor = 10n ** BigInt(-power);
  const quotient = value / divisor; // BigInt division truncates towards zero
  return value % divisor > 0n ? quotient + 1n : quotient;
}

/**
 * CPU in millicores, rounded up: "500m" -> 500, "2" -> 2000, "0.0001" -> 1.
 * @param {unknown} text a Kubernetes quantity
 * @returns {number} 0 when missing or not a quantity
 */
export function cpuMillis(text) {
  const exact = parseExact(text);
  return exact ? Number(scaledCeiling(exact, 3)) : 0;
}

/**
 * Memory in bytes, rounded up: "128Mi" -> 134217728, "1G" -> 1e9.
 * @param {unknown} text a Kubernetes quantity
 * @returns {number} 0 when missing or not a quantity
 */
export function memoryBytes(text) {
  const exact = parseExact(text);
  return exact ? Number(scaledCeiling(exact, 0)) : 0;
}

/**
 * What a pod asks for, as the scheduler counts it: the sum over its
 * containers, or the largest init container if that is more.
 * @param {object} pod a Kubernetes Pod
 * @returns {{cpu: number, memory: number}} millicores and bytes
 */
export function podRequests(pod) {
  if (pod && typeof pod === "object") {
    let requests = requestsByPod.get(pod);
    if (!requests) {
      requests = countRequests(pod);
      requestsByPod.set(pod, requests);
    }
    return requests;
  }
  return countRequests(pod);
}

/**
 * Pods are never changed in place (a change replaces the object, see
 * state.js), so what one requests is counted once: a 1,000-pod diagram
 * asks again at every draw.
 */
const requestsByPod = new WeakMap();

function countRequests(pod) {
  const spec = pod?.spec ?? {};
  const requestsOf = (container) => container?.resources?.requests ?? {};
  let cpu = 0;
  let memory = 0;
  for (const container of spec.containers ?? []) {
    cpu += cpuMillis(requestsOf(container).cpu);
    memory += memoryBytes(requestsOf(container).memory);
  }
  for (const container of spec.initContainers ?? []) {
    cpu = Math.max(cpu, cpuMillis(requestsOf(container).cpu));
    memory = Math.max(memory, memoryBytes(requestsOf(container).memory));
  }
  return { cpu, memory };
}

/**
 * Millicores as kubectl would write them: 2000 -> "2", 500 -> "500m", 1500 -> "1.5".
 * @param {number} millis
 * @returns {string}
 */
export function formatCpu(millis) {
  if (millis % 1000 === 0) return String(millis / 1000);
  if (millis < 1000) return `${millis}m`;
  return String(Number((millis / 1000).toFixed(2)));
}

const BINARY_UNITS = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

/**
 * Bytes in the largest binary unit that keeps the number >= 1, at most one
 * decimal: 134217728 -> "128Mi", 1610612736 -> "1.5Gi".
 * @param {number} bytes
 * @returns {string}
 */
export function formatMemory(bytes) {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const rounded = Number(value.toFixed(1));
  return `${rounded}${BINARY_UNITS[unit]}`;
}
