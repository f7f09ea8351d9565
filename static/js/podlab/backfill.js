/**
 * Backfill: fetch the sandbox's history from before the page opened, a page
 * of revisions at a time, newest first, and put each page in front of the
 * page's own History (History.prepend), until the oldest revision the server
 * keeps. The server's answer is described in sandbox/history.py.
 */

/** Revisions per request: a few hundred changes, a few hundred kilobytes. */
const PAGE_REVISIONS = 500;

export class Backfill {
  /**
   * @param {string} url the history endpoint (GET ?to=&revisions=)
   * @param {import("./state.js").History} history where pages go
   * @param {object} handlers
   * @param {(page: object) => void} handlers.onPage a page was prepended
   * @param {(state: string) => void} handlers.onState "loading", "complete" or "failed"
   */
  constructor(url, history, { onPage, onState }) {
    this.url = url;
    this.history = history;
    this.onPage = onPage;
    this.onState = onState;
    /** "idle" (not asked yet), "loading", "complete", "failed" */
    this.state = url ? "idle" : "complete";
  }

  /** Start loading, once; later calls do nothing (a failed load may be retried). */
  start() {
    if (this.state !== "idle" && this.state !== "failed") return;
    this.setState("loading");
    this.next().catch(() => this.setState("failed"));
  }

  async next() {
    for (;;) {
      const to = this.history.oldestRevision();
      const query = new URLSearchParams({ to: String(to), revisions: String(PAGE_REVISIONS) });
      const response = await fetch(`${this.url}?${query}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.status === 429) {
        // Over this user's rate limit for history reads: wait as long as the server says.
        await new Promise((resolve) => setTimeout(resolve, retryAfterMs(response)));
        continue;
      }
      if (!response.ok) throw new Error(`history: ${response.status}`);
      const page = await response.json();
      if (page.from < to && this.history.prepend(page)) this.onPage(page);
      if (!page.more || page.from >= to) break;
    }
    this.setState("complete");
  }

  setState(state) {
    this.state = state;
    this.onState(state);
  }
}

/** The wait a 429 answer asks for (its Retry-After header, in seconds), in milliseconds. */
function retryAfterMs(response) {
  const seconds = Number(response.headers.get("Retry-After"));
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 5) * 1000;
}
