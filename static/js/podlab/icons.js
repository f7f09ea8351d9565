/**
 * The diagram's icons and fill patterns, as SVG <defs>. Every status shows an
 * icon and a label as well as a colour, so nothing depends on colour alone.
 */

import { svg } from "./svg.js";

/** Stroke paths on a 24x24 grid. */
const ICON_PATHS = {
  "icon-check": ["M4.5 12.5l5 5 10-11"],
  "icon-cross": ["M6 6l12 12", "M18 6L6 18"],
  "icon-clock": ["M12 3a9 9 0 1 0 0.01 0", "M12 7v5.5l3.5 2.5"],
  "icon-gear": ["M12 8.5a3.5 3.5 0 1 0 0.01 0", "M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M4.9 19.1L7 17M17 7l2.1-2.1"],
  "icon-loop": ["M19.5 12a7.5 7.5 0 1 1-2.2-5.3", "M19.5 3.5v4.5h-4.5"],
  "icon-pull": ["M12 3v11", "M7 9.5l5 5 5-5", "M4 20h16", "M16 18l4-4M20 18l-4-4"],
  "icon-done": ["M12 2.5a9.5 9.5 0 1 0 0.01 0", "M7.5 12.5l3 3 6-6.5"],
  "icon-trash": ["M4 7h16", "M9.5 7V4h5v3", "M6.5 7l1 13h9l1-13", "M10 11v5M14 11v5"],
  "icon-warning": ["M12 3l10 18H2z", "M12 10v5", "M12 17.6v0.4"],
  "icon-stop": ["M8 2.5h8l5.5 5.5v8L16 21.5H8L2.5 16V8z", "M7.5 12h9"],
  "icon-bolt": ["M13 2L4 14h7l-1 8 9-12h-7z"],
};

/**
 * <defs> with one <symbol> per icon and the hatch patterns for "down" and
 * "terminating" states.
 * @returns {SVGDefsElement}
 */
export function diagramDefs() {
  const symbols = Object.entries(ICON_PATHS).map(([id, paths]) =>
    svg("symbol", { id, viewBox: "0 0 24 24" }, paths.map((d) => svg("path", {
      d,
      fill: "none",
      stroke: "currentColor",
      "stroke-width": 2.6,
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
    }))));
  const hatch = (id, className) => svg("pattern", {
    id,
    patternUnits: "userSpaceOnUse",
    width: 14,
    height: 14,
    patternTransform: "rotate(45)",
  }, [svg("rect", { width: 14, height: 14, class: `${className}-bg` }), svg("rect", { width: 5, height: 14, class: className })]);
  return svg("defs", {}, [
    ...symbols,
    hatch("hatch-down", "hatch-down"),
    hatch("hatch-soft", "hatch-soft"),
  ]);
}

/**
 * A <use> of an icon.
 * @param {string} id symbol id ("icon-check")
 * @param {number} x @param {number} y @param {number} size
 * @param {string} [className]
 * @returns {SVGUseElement}
 */
export function icon(id, x, y, size, className = "icon") {
  return svg("use", { href: `#${id}`, x, y, width: size, height: size, class: className });
}
