/**
 * The diagram's text sizes, in SVG user units on a canvas at least 1000 units
 * wide. The page shows the canvas at least ~800 px wide, so a 20-unit font is
 * at least 16 px.
 */

export const FONT = 20;
export const TITLE_FONT = 22;
/** Small print (a pod's owner under its status): at least 12.8 px, always with a tooltip. */
export const SMALL_FONT = 16;
