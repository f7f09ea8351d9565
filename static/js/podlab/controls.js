/**
 * The page header's controls that are not plain htmx forms: the sandbox clock
 * read-out (paused or running, speed, time ticking), the animation pace and
 * the live/replay slider.
 */

import { clockTime } from "./timeline.js";

/** The sandbox clock as the page shows it, ticking locally between snapshots. */
export class ClockDisplay {
  /**
   * @param {object} parts
   * @param {HTMLElement} parts.time where "22:32:04" goes
   * @param {HTMLElement} parts.state where "Running ×2" / "Paused" goes
   * @param {HTMLElement} parts.root gets data-paused for styling
   * @param {HTMLSelectElement} [parts.speed] the speed <select>, kept in step
   */
  constructor({ time, state, root, speed }) {
    this.parts = { time, state, root, speed };
    this.paused = false;
    this.speed = 1;
    this.anchorMs = 0;
    this.anchorAt = 0;
    setInterval(() => this.show(), 250);
  }

  /**
   * Take the clock from a snapshot (or a control's answer).
   * @param {{paused?: boolean, speed?: number, now?: string}} clock
   */
  set({ paused = this.paused, speed = this.speed, now }) {
    if (now) {
      this.anchorMs = Date.parse(now);
      this.anchorAt = performance.now();
    } else {
      this.anchorMs = this.nowMs();
      this.anchorAt = performance.now();
    }
    this.paused = Boolean(paused);
    this.speed = Number(speed) || 1;
    this.show();
  }

  /**
   * A call happened at this sandbox time: a paused clock that was stepped
   * has moved at least that far.
   * @param {string} iso
   */
  observe(iso) {
    const ms = Date.parse(iso);
    if (!Number.isNaN(ms) && ms > this.nowMs()) {
      this.anchorMs = ms;
      this.anchorAt = performance.now();
    }
  }

  nowMs() {
    if (!this.anchorMs) return 0;
    const elapsed = this.paused ? 0 : (performance.now() - this.anchorAt) * this.speed;
    return this.anchorMs + elapsed;
  }

  show() {
    const { time, state, root, speed } = this.parts;
    const ms = this.nowMs();
    const text = ms ? clockTime(new Date(ms).toISOString()) : "--:--:--";
    if (time.textContent !== text) time.textContent = text;
    const words = this.paused ? "Paused" : `Running ×${this.speed}`;
    if (state.textContent !== words) state.textContent = words;
    root.dataset.paused = String(this.paused);
    for (const button of root.querySelectorAll("[data-clock-action=pause] button")) {
      button.setAttribute("aria-pressed", String(this.paused));
    }
    for (const button of root.querySelectorAll("[data-clock-action=resume] button")) {
      button.setAttribute("aria-pressed", String(!this.paused));
    }
    if (speed && document.activeElement !== speed && Number(speed.value) !== this.speed) {
      const option = [...speed.options].find((item) => Number(item.value) === this.speed);
      if (option) speed.value = option.value;
    }
  }
}

const PACE_KEY = "podlab.pace";

/**
 * The animation pace the student picked last time, or the default: no
 * travel when the URL says ?animations=off or the system asks for reduced
 * motion, else normal speed.
 * @param {URLSearchParams} params
 * @returns {number} 0 = no travel, else a multiplier
 */
export function initialPace(params) {
  if (params.get("animations") === "off") return 0;
  const saved = Number.parseFloat(localStorage.getItem(PACE_KEY) ?? "");
  if (!Number.isNaN(saved)) return saved;
  return window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ? 0 : 1;
}

/**
 * @param {number} pace remember the student's choice
 */
export function rememberPace(pace) {
  try {
    localStorage.setItem(PACE_KEY, String(pace));
  } catch {
    // private mode: the choice lasts this page only
  }
}

/** Where the history reaches, by the backfill's state (see backfill.js). */
const REACH_WORDS = {
  idle: () => "since the page opened; earlier history loads when you use the slider",
  loading: () => "loading earlier history…",
  complete: (oldest) => `back to revision ${oldest}, all the sandbox keeps`,
  failed: () => "since the page opened (earlier history could not be loaded)",
};

/** The history slider: scrub back through the revisions kept; "Back to live". */
export class ReplayControl {
  /**
   * @param {object} parts
   * @param {HTMLInputElement} parts.slider <input type=range>
   * @param {HTMLElement} parts.label what the slider shows
   * @param {HTMLButtonElement} parts.back "Back to live"
   * @param {HTMLElement} [parts.reach] how far back the history goes
   * @param {(revision: number|null) => void} onScrub a revision to show, or null for live
   * @param {() => void} [onWanted] the student reached for the slider: load older history
   */
  constructor({ slider, label, back, reach }, onScrub, onWanted = () => {}) {
    this.parts = { slider, label, back, reach };
    this.revisions = [];
    this.live = 0;
    this.replaying = null;
    this.backfill = "complete";
    slider.addEventListener("input", () => {
      const index = Number(slider.value);
      const last = this.revisions.length - 1;
      onScrub(index >= last ? null : this.revisions[index]);
    });
    for (const type of ["focus", "pointerdown"]) slider.addEventListener(type, () => onWanted());
    back.addEventListener("click", () => onScrub(null));
  }

  /**
   * @param {number[]} revisions those the history can rebuild, oldest first
   * @param {number} live the live revision
   * @param {number|null} replaying the revision shown, or null when live
   * @param {string} [backfill] the older history's state: "idle", "loading", "complete", "failed"
   */
  update(revisions, live, replaying, backfill = this.backfill) {
    const { slider, label, back, reach } = this.parts;
    this.revisions = revisions;
    this.live = live;
    this.replaying = replaying;
    this.backfill = backfill;
    const last = Math.max(0, revisions.length - 1);
    slider.max = String(last);
    // Usable while older history may still come (reaching for it loads it); never
    // disabled under the student's hand while it loads, which would take its focus.
    slider.disabled = revisions.length < 2 && backfill === "complete";
    if (reach) {
      const words = REACH_WORDS[backfill](revisions[0] ?? live);
      if (reach.textContent !== words) reach.textContent = words;
    }
    if (replaying === null) {
      slider.value = String(last);
      label.textContent = `Live: revision ${live}`;
      slider.setAttribute("aria-valuetext", `live, revision ${live}`);
    } else {
      const index = Math.max(0, revisions.findLastIndex((revision) => revision <= replaying));
      slider.value = String(index);
      label.textContent = `Replay: revision ${replaying} of ${live}`;
      slider.setAttribute("aria-valuetext", `revision ${replaying}`);
    }
    back.disabled = replaying === null;
  }
}
