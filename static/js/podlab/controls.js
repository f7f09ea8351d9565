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

/** Keys that move a range input towards its minimum. */
const OLDER_KEYS = new Set(["Home", "ArrowLeft", "ArrowDown", "PageDown"]);

/**
 * The history slider: one position per revision, from the oldest the history can
 * rebuild to live at the right, so that the arrow keys reach every revision (the
 * state at a lease's or an event's revision is the one before it, drawn the same).
 * "Back to live" returns.
 */
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
    this.onScrub = onScrub;
    this.oldest = 0;
    this.live = 0;
    this.replaying = null;
    this.backfill = "complete";
    /** Where a key pressed before older history came should land: "oldest", or the
     *  revision before this one. Taken up as soon as the history has it. */
    this.wanted = null;
    slider.addEventListener("input", () => {
      if (this.oldest >= this.live) {
        // Nothing older is here yet: stay at live until it comes.
        this.wanted ??= "oldest";
        this.show();
        return;
      }
      const revision = Number(slider.value);
      onScrub(revision >= this.live ? null : revision);
    });
    slider.addEventListener("keydown", (event) => {
      if (!OLDER_KEYS.has(event.key) || this.backfill === "complete") return;
      const shown = this.replaying ?? this.live;
      if (event.key === "Home") this.wanted = "oldest";
      else if (shown <= this.oldest) this.wanted = shown;
      else return;
      onWanted();
      event.preventDefault();
    });
    for (const type of ["focus", "pointerdown"]) slider.addEventListener(type, () => onWanted());
    back.addEventListener("click", () => onScrub(null));
  }

  /**
   * @param {number} oldest the oldest revision the history can rebuild
   * @param {number} live the live revision
   * @param {number|null} replaying the revision shown, or null when live
   * @param {string} [backfill] the older history's state: "idle", "loading", "complete", "failed"
   */
  update(oldest, live, replaying, backfill = this.backfill) {
    this.oldest = Math.min(oldest, live);
    this.live = live;
    this.replaying = replaying;
    this.backfill = backfill;
    if (this.takeWanted()) return; // onScrub comes back here with the new revision
    this.show();
  }

  /** A key pressed while history loaded: go where it pointed once the history has it. */
  takeWanted() {
    const wanted = this.wanted;
    if (wanted === null) return false;
    const settled = this.backfill === "complete" || this.backfill === "failed";
    let target = null;
    if (wanted === "oldest") {
      if (!settled) return false; // the oldest is still coming
      target = this.oldest;
    } else if (this.oldest < wanted) {
      target = wanted - 1;
    } else if (!settled) {
      return false;
    }
    this.wanted = null;
    if (target === null || target >= this.live || target === this.replaying) return false;
    this.onScrub(target);
    return true;
  }

  show() {
    const { slider, label, back, reach } = this.parts;
    const { oldest, live, replaying, backfill } = this;
    // With nothing older yet, two positions all the same, so that live sits at the right.
    slider.min = String(Math.min(oldest, live - 1));
    slider.max = String(live);
    // Usable while older history may still come (reaching for it loads it); never
    // disabled under the student's hand while it loads, which would take its focus.
    slider.disabled = oldest >= live && backfill === "complete";
    if (reach) {
      const words = REACH_WORDS[backfill](oldest);
      if (reach.textContent !== words) reach.textContent = words;
    }
    slider.value = String(replaying ?? live);
    if (replaying === null) {
      label.textContent = `Live: revision ${live}`;
      slider.setAttribute("aria-valuetext", `live, revision ${live}`);
    } else {
      label.textContent = `Replay: revision ${replaying} of ${live}`;
      slider.setAttribute("aria-valuetext", `revision ${replaying}`);
    }
    back.disabled = replaying === null;
  }
}
