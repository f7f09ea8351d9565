/**
 * A part of a page that follows the server's pushes (the lesson panel of the live page,
 * the class dashboard's progress): told that it changed, it fetches itself again (its
 * data-follow-url, swapped in with htmx as outerHTML), and no push is ever lost.
 *
 * htmx's own triggers lose some. A trigger on an element that is already asking is
 * queued on that element, which the answer then replaces: the queued fetch goes with
 * it, and the part stays one push behind (a wait that passed looks stuck). A throttled
 * trigger drops every push inside its window, the last one too. Here a push that comes
 * while a fetch of the part is in flight (its own, or a press answered with the part)
 * waits for it to land, then fetches again only if the part is still behind.
 *
 * Versions, where the pushes carry one (a lesson run counts what its panel shows,
 * lessons/models.py LessonRun.moves): the part says which it shows (data-version), so a
 * push the part already shows fetches nothing (a press answered with the new step is
 * not followed by a fetch that would reset a choice being made), and an answer older
 * than the part on show is never swapped in over it.
 */

/** After a failed fetch, the next waits this long (the server may be restarting). */
const RETRY_MS = 2000;

export class PartialFollower {
  /**
   * @param {string} selector the part, e.g. "#lesson"
   * @param {{minGapMs?: number, htmx?: object}} [options] minGapMs: at least this long
   *   between two fetches' starts (a class of thirty moving at once is one fetch)
   */
  constructor(selector, { minGapMs = 0, htmx = window.htmx } = {}) {
    this.selector = selector;
    this.minGapMs = minGapMs;
    this.htmx = htmx;
    /** The newest version told (-1: none). */
    this.wanted = -1;
    /** Told of a change that carries no version. */
    this.stale = false;
    /** The part's fetches on their way (their XMLHttpRequests). */
    this.inFlight = new Set();
    this.notBefore = 0;
    this.timer = null;
    document.body.addEventListener("htmx:beforeRequest", (event) => this.track(event.detail));
    document.body.addEventListener("htmx:beforeSwap", (event) => this.keepNewest(event.detail));
  }

  /** The part changed on the server (to this version, if the push says one). */
  told(version) {
    if (Number.isInteger(version)) this.wanted = Math.max(this.wanted, version);
    else this.stale = true;
    this.catchUp();
  }

  /** @returns {HTMLElement|null} */
  part() {
    return document.querySelector(this.selector);
  }

  /** The version the part on show says it is (-1: none). */
  shown() {
    const version = Number.parseInt(this.part()?.dataset.version ?? "", 10);
    return Number.isInteger(version) ? version : -1;
  }

  /** A request whose answer replaces the part: the part waits for it to land. */
  track(detail) {
    if (!this.isPart(detail?.target) || !detail.xhr) return;
    const xhr = detail.xhr;
    this.inFlight.add(xhr);
    xhr.addEventListener("loadend", () => {
      this.inFlight.delete(xhr);
      if (xhr.status < 200 || xhr.status >= 300) {
        this.stale = true;
        this.notBefore = performance.now() + RETRY_MS;
      }
      // After htmx's own load handler has swapped the answer in.
      setTimeout(() => this.catchUp(), 0);
    });
  }

  /** An answer older than the part on show is not swapped in over it. */
  keepNewest(detail) {
    if (!this.isPart(detail?.target) || !detail.shouldSwap) return;
    const incoming = versionIn(detail.serverResponse);
    if (incoming !== null && incoming < this.shown()) detail.shouldSwap = false;
  }

  catchUp() {
    const part = this.part();
    if (!part?.dataset.followUrl || this.inFlight.size > 0 || this.timer !== null) return;
    if (!this.stale && this.shown() >= this.wanted) return;
    const wait = this.notBefore - performance.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.catchUp();
      }, wait);
      return;
    }
    this.stale = false;
    this.notBefore = performance.now() + this.minGapMs;
    this.htmx.ajax("GET", part.dataset.followUrl, { source: part, target: part, swap: "outerHTML" });
  }

  isPart(element) {
    return element instanceof Element && element.matches(this.selector);
  }
}

/** The data-version an answer's part says it is, if it says one. */
function versionIn(html) {
  const found = /\bdata-version="(\d+)"/.exec(typeof html === "string" ? html : "");
  return found ? Number(found[1]) : null;
}
