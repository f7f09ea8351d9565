/**
 * A small JSON diff for the timeline: which fields one API call changed.
 *
 * Lists of objects that carry a "name" or "type" (containers, conditions,
 * containerStatuses) are matched by that key, so a new condition shows as
 * `status.conditions[type=Ready].status: "False" -> "True"` rather than as a
 * reshuffled array.
 */

/**
 * @typedef {object} Change
 * @property {string} path  e.g. "spec.nodeName" or "status.conditions[type=Ready].status"
 * @property {unknown} before  undefined when the field was added
 * @property {unknown} after   undefined when the field was removed
 */

/**
 * Every leaf that differs between two JSON values, in document order.
 * @param {unknown} before
 * @param {unknown} after
 * @returns {Change[]}
 */
export function diffObjects(before, after) {
  const changes = [];
  walk(before, after, "", changes);
  return changes;
}

function walk(before, after, path, changes) {
  if (sameJson(before, after)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of keys) walk(before[key], after[key], join(path, key), changes);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const key = matchKey(before, after);
    if (key) {
      const keyed = (list) => new Map(list.map((item) => [item[key], item]));
      const left = keyed(before);
      const right = keyed(after);
      for (const id of new Set([...left.keys(), ...right.keys()])) {
        walk(left.get(id), right.get(id), `${path}[${key}=${id}]`, changes);
      }
      return;
    }
    const length = Math.max(before.length, after.length);
    for (let index = 0; index < length; index += 1) {
      walk(before[index], after[index], `${path}[${index}]`, changes);
    }
    return;
  }
  changes.push({ path: path || "(whole object)", before, after });
}

/** "name" or "type" when every item of both lists has a unique one. */
function matchKey(before, after) {
  const items = [...before, ...after];
  for (const key of ["name", "type"]) {
    const unique = (list) => new Set(list.map((item) => item?.[key])).size === list.length;
    if (items.every((item) => isPlainObject(item) && typeof item[key] === "string")
      && unique(before) && unique(after)) {
      return key;
    }
  }
  return "";
}

function join(path, key) {
  return path ? `${path}.${key}` : key;
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function sameJson(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A value as one short line for the diff list.
 * @param {unknown} value
 * @param {number} [limit=80]
 * @returns {string} "(none)" for a missing field
 */
export function formatValue(value, limit = 80) {
  if (value === undefined) return "(none)";
  const text = JSON.stringify(value);
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}
