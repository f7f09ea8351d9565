/**
 * The live page's lesson panel follows its run (templates/lessons/panel.html): told that
 * the run moved on (a "lesson" push, or the clock paused or resumed), the panel fetches
 * itself again (its hx-trigger is "lesson-changed from:body").
 *
 * A push that comes while the panel's fetch is in flight must not be lost. htmx answers
 * a trigger on an element that is already asking by queueing it on that element, and
 * the answer replaces the element (outerHTML): the queued fetch goes with it, and the
 * panel would show the step before the push until the next one (a wait that passed
 * would look stuck). So each push is counted, each fetch of the panel (its own, or a
 * Next or an Answer aimed at it) remembers the count it was sent at, and a panel
 * settled from a fetch sent before the latest push asks again.
 */

export class LessonPanelFollower {
  /** @param {HTMLElement} body where htmx's events bubble to and "lesson-changed" is sent */
  constructor(body = document.body) {
    this.body = body;
    /** The pushes told so far. */
    this.told = 0;
    /** The pushes the panel on show was fetched after. */
    this.shown = 0;
    body.addEventListener("htmx:beforeRequest", (event) => {
      if (isPanel(event.detail?.target)) event.detail.xhr.lessonTold = this.told;
    });
    body.addEventListener("htmx:afterRequest", (event) => {
      const sentAt = event.detail?.xhr?.lessonTold;
      if (sentAt !== undefined && event.detail.successful) this.shown = Math.max(this.shown, sentAt);
    });
    body.addEventListener("htmx:afterSettle", (event) => {
      if (isPanel(event.target) && this.shown < this.told) this.ask();
    });
  }

  /** The run moved on: the panel fetches itself again. */
  changed() {
    this.told += 1;
    this.ask();
  }

  ask() {
    this.body.dispatchEvent(new CustomEvent("lesson-changed"));
  }
}

/** @param {unknown} element */
function isPanel(element) {
  return element instanceof Element && element.id === "lesson";
}
