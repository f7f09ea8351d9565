/**
 * Tiny helpers to build SVG elements and to fit text in boxes without asking
 * the browser to lay text out (which would force a reflow per label).
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Create an SVG element.
 * @param {string} tag
 * @param {Record<string, string|number|null|undefined>} [attrs] null/undefined are skipped
 * @param {Array<Node|string>} [children] strings become text
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, children = []) {
  const element = document.createElementNS(SVG_NS, tag);
  setAttrs(element, attrs);
  for (const child of children) {
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

/**
 * Set attributes; null or undefined removes one. An attribute that already
 * has the value is not written: the browser re-lays out on any write (a
 * rewritten viewBox re-lays out the whole picture).
 * @param {Element} element
 * @param {Record<string, string|number|null|undefined>} attrs
 */
export function setAttrs(element, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) {
      if (element.hasAttribute(name)) element.removeAttribute(name);
    } else {
      const text = String(value);
      if (element.getAttribute(name) !== text) element.setAttribute(name, text);
    }
  }
}

/**
 * Set an element's text only when it changed (text writes are not free).
 * @param {Element} element
 * @param {string} value
 */
export function setText(element, value) {
  if (element.textContent !== value) element.textContent = value;
}

// Average advance of wide UI faces (DejaVu Sans, Segoe UI), in em: generous,
// for when there is no canvas to measure with.
const NARROW = /[iljtfr.,:;'!|()[\] ]/;
const WIDE = /[mwMW@%]/;

function estimateWidth(text, fontSize, bold) {
  let ems = 0;
  for (const char of text) {
    if (NARROW.test(char)) ems += 0.36;
    else if (WIDE.test(char)) ems += 0.95;
    else if (char >= "A" && char <= "Z") ems += 0.72;
    else ems += 0.64;
  }
  return ems * fontSize * (bold ? 1.1 : 1);
}

let measuring = null;
const widths = new Map();

/** A 2D canvas context in the page's font: measuring there forces no layout. */
function measureContext() {
  if (measuring !== null) return measuring;
  measuring = false;
  if (typeof document !== "undefined" && document.body) {
    const context = document.createElement("canvas").getContext("2d");
    if (context) {
      measuring = { context, family: getComputedStyle(document.body).fontFamily || "sans-serif" };
    }
  }
  return measuring;
}

/**
 * The width of a line of text in the page's font (measured once, then
 * remembered), or an estimate where nothing can be measured.
 * @param {string} text
 * @param {number} fontSize in user units
 * @param {boolean} [bold=false]
 * @returns {number}
 */
export function textWidth(text, fontSize, bold = false) {
  const measure = measureContext();
  if (!measure) return estimateWidth(text, fontSize, bold);
  const key = `${bold ? "b" : "n"}${fontSize}|${text}`;
  let width = widths.get(key);
  if (width === undefined) {
    measure.context.font = `${bold ? 700 : 400} ${fontSize}px ${measure.family}`;
    width = measure.context.measureText(text).width;
    if (widths.size > 20000) widths.clear();
    widths.set(key, width);
  }
  return width;
}

/**
 * The text, shortened with an ellipsis if it would not fit in maxWidth.
 * @param {string} text
 * @param {number} maxWidth
 * @param {number} fontSize
 * @param {boolean} [bold=false]
 * @returns {string}
 */
export function fitText(text, maxWidth, fontSize, bold = false) {
  if (textWidth(text, fontSize, bold) <= maxWidth) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (textWidth(`${text.slice(0, middle)}…`, fontSize, bold) <= maxWidth) low = middle;
    else high = middle - 1;
  }
  return `${text.slice(0, Math.max(low, 1))}…`;
}

/**
 * @typedef {{x: number, y: number, w: number, h: number}} Rect
 */

/**
 * Where the segment from a rectangle's centre towards a point leaves it.
 * @param {Rect} rect
 * @param {{x: number, y: number}} towards
 * @returns {{x: number, y: number}}
 */
export function edgePoint(rect, towards) {
  const cx = rect.x + rect.w / 2;
  const cy = rect.y + rect.h / 2;
  const dx = towards.x - cx;
  const dy = towards.y - cy;
  if (dx === 0 && dy === 0) return { x: cx, y: cy };
  const scale = Math.min(
    dx === 0 ? Infinity : rect.w / 2 / Math.abs(dx),
    dy === 0 ? Infinity : rect.h / 2 / Math.abs(dy),
  );
  return { x: cx + dx * Math.min(scale, 1), y: cy + dy * Math.min(scale, 1) };
}

/** @param {Rect} rect @returns {{x: number, y: number}} */
export function centre(rect) {
  return { x: rect.x + rect.w / 2, y: rect.y + rect.h / 2 };
}
