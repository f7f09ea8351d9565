/**
 * The timeline: one list item per API call, oldest at the top, newest at the
 * bottom, following the newest unless the student scrolled up. Filters by
 * who called, by object name, and reads on or off; the background (heartbeats,
 * the page's own reads) is folded away unless asked for. Opening an item shows
 * the API server's stages and what the call changed (before -> after).
 *
 * The list is one tab stop: the arrow keys, Home and End move between the
 * calls shown (a roving tabindex), Enter or Space opens one.
 */

import { diffObjects, formatValue } from "./diff.js";
import {
  actorPlace, isControllerRead, isHeartbeat, isPageRead, isRead, isWrite, schedulerAsk,
} from "./routes.js";

/** Keep at most this many items in the page (older ones stay in history). */
const MAX_ITEMS = 2000;
/** "Near the bottom" for auto-scrolling, in px. */
const STICKY_PX = 48;

/** The actor chip's words; kubelets and controllers are named as they are ("controller-manager/replicaset"). */
const ACTOR_WORDS = {
  user: "you",
  scheduler: "scheduler",
  apiserver: "API server",
};

/**
 * What repeats all day and tells no step: a node's heartbeats, the scheduler's asks
 * that found nothing to schedule (poll mode's "Anything? No.", every 5 seconds; the
 * diagram still shows them, and the scheduler's countdown their rhythm), and the
 * controllers' and kube-proxies' reads (their writes tell the lesson's ending).
 * @param {object} trace
 * @returns {boolean}
 */
export function isBackground(trace) {
  return isHeartbeat(trace) || schedulerAsk(trace) === 0 || isControllerRead(trace);
}

/**
 * HH:MM:SS of an ISO time, in UTC (the sandbox clock shows UTC too).
 * @param {string} iso
 * @returns {string}
 */
export function clockTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "--:--:--";
  return date.toISOString().slice(11, 19);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class Timeline {
  /**
   * @param {object} parts
   * @param {HTMLOListElement} parts.list the <ol>
   * @param {HTMLFormElement} parts.filters the filter form (actor checkboxes, "reads", "object")
   * @param {HTMLElement} [parts.count] shows how many calls
   * @param {HTMLButtonElement} [parts.jump] "newest" button shown when scrolled up
   * @param {HTMLElement} [parts.summary] says which filters hide calls
   * @param {HTMLElement} [parts.none] says that no loaded call matches the name filter
   * @param {object} handlers
   * @param {(trace: object) => object[]} handlers.eventsFor the store events a trace's write made
   * @param {(trace: object|null) => void} handlers.onSelect an item was opened (null: closed)
   * @param {() => void} [handlers.onFilter] the filters changed
   * @param {() => void} [handlers.onWantOlder] the student asked for the calls before the page opened
   * @param {() => string} [handlers.olderState] those calls' state: "idle", "loading", "complete", "failed"
   */
  constructor(
    { list, filters, count, jump, summary, none },
    { eventsFor, onSelect, onFilter = () => {}, onWantOlder = () => {}, olderState = () => "complete" },
  ) {
    this.list = list;
    this.none = none;
    this.onWantOlder = onWantOlder;
    this.olderState = olderState;
    /** The one item of the list in the tab order (a roving tabindex). */
    this.current = null;
    /** The tab stop follows the newest call until the student moves it. */
    this.currentMoved = false;
    this.summary = summary;
    this.filters = filters;
    this.countLabel = count;
    this.jump = jump;
    this.eventsFor = eventsFor;
    this.onSelect = onSelect;
    this.onFilter = onFilter;
    /** @type {Map<number|string, {trace: object, item: HTMLLIElement}>} */
    this.items = new Map();
    this.sequence = 0;
    /** Items dropped from the top to keep the list short (they keep their numbers). */
    this.trimmed = 0;
    /** How many listed calls the filters show. */
    this.shownCount = 0;
    this.selected = null;
    this.unseen = 0;
    /** Following the newest call (the student has not scrolled up). */
    this.stuck = true;
    this.scrollQueued = false;
    this.hiddenKinds = new Set();
    this.showReads = true;
    this.showRoutine = false;
    this.showPage = false;
    this.query = "";
    this.readFilters();
    // form.elements also holds fields outside the form tag (form="..."), like the name filter.
    for (const field of filters.elements) field.addEventListener("input", () => this.filtersChanged());
    filters.addEventListener("submit", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      const summary = event.target.closest(".tl-summary");
      if (!summary) return;
      this.currentMoved = true;
      this.makeCurrent(summary.closest("li"));
      this.toggle(summary.closest("li"));
    });
    list.addEventListener("keydown", (event) => this.moveByKey(event));
    none?.querySelector(".load-older")?.addEventListener("click", () => this.onWantOlder());
    // Only the student scrolling up stops the following; a list that shrank
    // or grew under a still scroll position does not.
    let lastTop = 0;
    list.addEventListener("scroll", () => {
      const top = list.scrollTop;
      if (top + list.clientHeight >= list.scrollHeight - STICKY_PX) {
        this.stuck = true;
        this.setUnseen(0);
      } else if (top < lastTop) {
        this.stuck = false;
      }
      lastTop = top;
    });
    // A panel opening above shrinks the list: keep following the newest.
    new ResizeObserver(() => {
      if (this.stuck) this.scrollSoon();
    }).observe(list);
    jump?.addEventListener("click", () => this.scrollToNewest());
    this.filtersChanged(); // a reloaded page's form may keep the student's last choices
  }

  readFilters() {
    const data = new FormData(this.filters);
    const shown = new Set(data.getAll("actor"));
    this.hiddenKinds = new Set(
      [...this.filters.querySelectorAll("input[name=actor]")].map((box) => box.value).filter((kind) => !shown.has(kind)),
    );
    this.showReads = data.has("reads");
    this.showRoutine = data.has("routine");
    this.showPage = data.has("page");
    this.query = String(data.get("object") ?? "").trim().toLowerCase();
  }

  filtersChanged() {
    this.readFilters();
    for (const kind of ["user", "scheduler", "controller", "kubelet", "apiserver"]) {
      this.list.classList.toggle(`hide-${kind}`, this.hiddenKinds.has(kind));
    }
    this.list.classList.toggle("hide-reads", !this.showReads);
    this.list.classList.toggle("hide-routine", !this.showRoutine);
    this.list.classList.toggle("hide-page", !this.showPage);
    this.describeFilters();
    this.shownCount = 0;
    for (const { trace, item } of this.items.values()) {
      item.hidden = !this.matchesQuery(trace);
      if (this.isShown(trace)) this.shownCount += 1;
    }
    this.showCount();
    this.keepTabStop();
    this.sayWhenNoneMatch();
    this.onFilter();
  }

  /**
   * A name that no loaded call has: say that the list holds only the calls since
   * the page opened (and the last ones before), and offer the older ones.
   */
  sayWhenNoneMatch() {
    if (!this.none) return;
    const older = this.olderState();
    const nothing = Boolean(this.query) && ![...this.items.values()].some(({ trace }) => this.isShown(trace));
    this.none.hidden = !nothing;
    if (!nothing) return;
    const button = this.none.querySelector(".load-older");
    const words = {
      idle: "The timeline holds the calls since the page opened and the last ones before it; older calls are not loaded.",
      loading: "Loading older calls from the sandbox's history…",
      complete: "No call in the history the sandbox keeps matches, with these filters.",
      failed: "Older calls could not be loaded.",
    }[older] ?? "";
    setTextIfChanged(this.none.querySelector(".none-text"), `No call to "${this.query}" is listed. ${words}`);
    button.hidden = older !== "idle" && older !== "failed";
  }

  describeFilters() {
    if (!this.summary) return;
    const labels = (selector) => [...this.filters.querySelectorAll(selector)]
      .map((box) => box.closest("label").textContent.trim().split(" (")[0]);
    const hidden = [
      ...labels("input[name=actor]:not(:checked)"),
      ...labels("input[name=reads]:not(:checked), input[name=routine]:not(:checked), input[name=page]:not(:checked)"),
    ];
    if (this.query) hidden.push(`names without "${this.query}"`);
    this.summary.textContent = hidden.length ? `hiding ${hidden.join(", ")}` : "showing every call";
  }

  matchesQuery(trace) {
    if (!this.query) return true;
    return `${trace.namespace}/${trace.name}`.toLowerCase().includes(this.query);
  }

  /**
   * Whether the diagram draws this call: what the list shows, and the scheduler's empty
   * asks, folded in the list but the lesson's "Anything? No." on the diagram.
   * @param {object} trace
   * @returns {boolean}
   */
  isDrawn(trace) {
    if (schedulerAsk(trace) === 0 && !this.hiddenKinds.has("scheduler")) return true;
    return this.isShown(trace);
  }

  /**
   * Whether the filters let this call show (the animation follows them too).
   * @param {object} trace
   * @returns {boolean}
   */
  isShown(trace) {
    if (this.hiddenKinds.has(actorPlace(trace.actor).kind)) return false;
    if (!this.showReads && isRead(trace)) return false;
    if (!this.showRoutine && isBackground(trace)) return false;
    if (!this.showPage && isPageRead(trace)) return false;
    return this.matchesQuery(trace);
  }

  /**
   * Add calls (a snapshot's or a batch's); ones already listed are skipped,
   * older ones missed during a reconnect go in their place by id.
   * @param {object[]} traces
   */
  add(traces) {
    const fresh = traces.filter((trace) => !this.items.has(trace.id));
    if (!fresh.length) return;
    const firstId = this.list.firstElementChild ? Number(this.list.firstElementChild.dataset.id) : null;
    if (firstId !== null && fresh.every((trace) => trace.id < firstId)) {
      this.prepend(fresh);
      return;
    }
    const tail = document.createDocumentFragment();
    const lastId = this.lastId();
    let renumberFrom = null;
    let newestShown = null;
    for (const trace of [...fresh].sort((a, b) => a.id - b.id)) {
      const item = this.buildItem(trace);
      this.items.set(trace.id, { trace, item });
      if (this.isShown(trace)) this.shownCount += 1;
      if (lastId !== null && trace.id < lastId) {
        this.insertInOrder(item, trace.id);
        renumberFrom ??= item;
      } else {
        tail.append(item);
        if (this.isShown(trace)) newestShown = item;
      }
    }
    this.list.append(tail);
    this.trim();
    // A call that came late (a read answered before a write it trails) goes in its
    // place by id: the numbers after it move up one, so they stay in order.
    if (renumberFrom?.isConnected) this.renumber();
    this.showCount();
    if (newestShown && (!this.currentMoved || !this.current)) this.makeCurrent(newestShown);
    else if (this.current && !this.current.isConnected) this.keepTabStop(); // trimmed away
    if (this.query) this.sayWhenNoneMatch();
    if (this.stuck) this.scrollSoon();
    else this.setUnseen(this.unseen + fresh.filter((trace) => this.isShown(trace)).length);
  }

  /** "12 of 40 calls shown": the rest are folded away by the filters. */
  showCount() {
    const listed = this.items.size;
    const words = this.shownCount === listed ? `${listed} calls` : `${this.shownCount} of ${listed} calls shown`;
    setTextIfChanged(this.countLabel, words);
  }

  /** Number the items in list order (those trimmed from the top keep their numbers). */
  renumber() {
    let number = this.trimmed;
    for (const item of this.list.children) {
      number += 1;
      setTextIfChanged(item.querySelector(".tl-num"), String(number));
    }
    this.sequence = number;
  }

  /**
   * Calls older than every listed one (history from before the page opened):
   * listed on top while there is room (the list keeps the newest), then all
   * items numbered again in order.
   * @param {object[]} older
   */
  prepend(older) {
    const room = MAX_ITEMS - this.list.children.length;
    if (room <= 0) return;
    const head = document.createDocumentFragment();
    for (const trace of older.slice(-room)) {
      const item = this.buildItem(trace);
      this.items.set(trace.id, { trace, item });
      if (this.isShown(trace)) this.shownCount += 1;
      head.append(item);
    }
    this.list.prepend(head);
    this.renumber();
    this.showCount();
    this.keepTabStop();
    if (this.query) this.sayWhenNoneMatch();
    if (this.stuck) this.scrollSoon();
  }

  /** Scroll to the newest in the next frame, once however many batches came. */
  scrollSoon() {
    if (this.scrollQueued) return;
    this.scrollQueued = true;
    requestAnimationFrame(() => {
      this.scrollQueued = false;
      this.scrollToNewest();
    });
  }

  lastId() {
    const last = this.list.lastElementChild;
    return last ? Number(last.dataset.id) : null;
  }

  insertInOrder(item, id) {
    const before = [...this.list.children].find((child) => Number(child.dataset.id) > id);
    this.list.insertBefore(item, before ?? null);
  }

  trim() {
    while (this.list.children.length > MAX_ITEMS) {
      const oldest = this.list.firstElementChild;
      const { trace } = this.items.get(Number(oldest.dataset.id));
      if (this.isShown(trace)) this.shownCount -= 1;
      this.items.delete(trace.id);
      oldest.remove();
      this.trimmed += 1;
    }
  }

  buildItem(trace) {
    this.sequence += 1;
    const place = actorPlace(trace.actor);
    const item = element("li", "tl-item");
    item.dataset.id = String(trace.id);
    item.dataset.actorKind = place.kind;
    item.dataset.revision = String(trace.revision);
    if (isRead(trace)) item.dataset.read = "1";
    if (isBackground(trace)) item.dataset.routine = "1";
    if (isPageRead(trace)) item.dataset.page = "1";
    if (trace.code >= 400) item.classList.add("failed");
    if (isWrite(trace)) item.classList.add("write");
    item.hidden = !this.matchesQuery(trace);

    const summary = element("button", "tl-summary");
    summary.type = "button";
    summary.tabIndex = -1; // the list is one tab stop: see keepTabStop
    summary.setAttribute("aria-expanded", "false");
    const meta = element("span", "tl-meta");
    meta.append(
      element("span", "tl-num", String(this.sequence)),
      element("span", "tl-time", clockTime(trace.sandbox_time)),
      element("span", "tl-rev", `rev ${trace.revision}`),
      element("span", `tl-actor actor-${place.kind}`, ACTOR_WORDS[place.kind] ?? trace.actor),
    );
    if (trace.code >= 400) meta.append(element("span", "tl-code", `✗ ${trace.code} ${trace.reason}`.trim()));
    summary.append(meta, element("span", "tl-text", trace.narration));
    if (trace.command) summary.append(commandLine(trace.command));
    item.append(summary);
    return item;
  }

  toggle(item) {
    const open = this.selected === item;
    if (this.selected) this.close(this.selected);
    if (open) {
      this.selected = null;
      this.onSelect(null);
      return;
    }
    const { trace } = this.items.get(Number(item.dataset.id));
    item.classList.add("selected");
    item.querySelector(".tl-summary").setAttribute("aria-expanded", "true");
    item.append(this.buildDetail(trace));
    this.selected = item;
    this.onSelect(trace);
  }

  close(item) {
    item.classList.remove("selected");
    item.querySelector(".tl-summary").setAttribute("aria-expanded", "false");
    item.querySelector(".tl-detail")?.remove();
  }

  buildDetail(trace) {
    const detail = element("div", "tl-detail");
    detail.append(element("h3", "", "Inside the API server"));
    const stages = element("ol", "tl-stages");
    for (const stage of trace.stages ?? []) {
      const row = element("li", stage.ok ? "ok" : "bad");
      row.append(element("span", "stage-mark", stage.ok ? "✓" : "✗"), element("b", "", stage.stage), ` ${stage.detail ?? ""}`);
      stages.append(row);
    }
    detail.append(stages);
    detail.append(element("h3", "", "What it changed"));
    if (!isWrite(trace)) {
      detail.append(element("p", "muted", isRead(trace) ? "Nothing: a read changes nothing." : "Nothing in etcd."));
      return detail;
    }
    const events = this.eventsFor(trace);
    if (!events.length) {
      detail.append(element("p", "muted", "This call happened before the page opened (or while it was reconnecting), so its before and after were not received."));
      return detail;
    }
    for (const event of events) detail.append(eventDiff(event));
    return detail;
  }

  /**
   * Dim the calls after a revision (replay), or undim all (null).
   * @param {number|null} revision
   */
  setReplayRevision(revision) {
    let reached = null;
    for (const item of this.list.children) {
      const { trace } = this.items.get(Number(item.dataset.id));
      const future = revision !== null && trace.revision > revision;
      item.classList.toggle("future", future);
      item.classList.toggle("replayed", revision !== null && trace.revision === revision && isWrite(trace));
      if (revision !== null && !future && this.isShown(trace) && !item.hidden) reached = item;
    }
    if (revision === null) {
      this.scrollToNewest();
    } else if (reached) {
      // The list follows the replay: the last call the replayed revision includes, centred.
      this.stuck = false;
      const top = reached.offsetTop - this.list.offsetTop;
      this.list.scrollTop = top - (this.list.clientHeight - reached.offsetHeight) / 2;
    }
  }

  /** The calls the filters show, in list order. */
  shownItems() {
    return [...this.list.children].filter((item) => !item.hidden && this.isShown(this.items.get(Number(item.dataset.id)).trace));
  }

  /** @param {HTMLLIElement|null} item the list's one tab stop */
  makeCurrent(item) {
    if (this.current === item) return;
    this.current?.querySelector(".tl-summary")?.setAttribute("tabindex", "-1");
    this.current = item;
    item?.querySelector(".tl-summary")?.setAttribute("tabindex", "0");
  }

  /** The tab stop stays on a call that is shown: else the newest shown one. */
  keepTabStop() {
    const current = this.current;
    if (current?.isConnected && !current.hidden && this.isShown(this.items.get(Number(current.dataset.id)).trace)) return;
    const shown = this.shownItems();
    this.makeCurrent(shown.at(-1) ?? null);
  }

  moveByKey(event) {
    const keys = { ArrowDown: 1, ArrowUp: -1, Home: -Infinity, End: Infinity, PageDown: 10, PageUp: -10 };
    if (!(event.key in keys) || !event.target.closest(".tl-summary")) return;
    const shown = this.shownItems();
    if (!shown.length) return;
    const at = Math.max(0, shown.indexOf(event.target.closest("li")));
    const step = keys[event.key];
    const index = Math.max(0, Math.min(shown.length - 1, Number.isFinite(step) ? at + step : step < 0 ? 0 : shown.length - 1));
    event.preventDefault();
    this.currentMoved = true;
    this.makeCurrent(shown[index]);
    shown[index].querySelector(".tl-summary").focus();
  }

  setUnseen(count) {
    this.unseen = count;
    if (!this.jump) return;
    this.jump.hidden = count === 0;
    this.jump.textContent = `↓ ${count} newer`;
  }

  scrollToNewest() {
    this.stuck = true;
    this.list.scrollTop = this.list.scrollHeight;
    this.setUnseen(0);
  }
}

function setTextIfChanged(node, text) {
  if (node && node.textContent !== text) node.textContent = text;
}

/** One store event: its key, its changed fields, and the whole before/after. */
function eventDiff(event) {
  const block = element("section", "tl-event");
  const heading = element("p", "tl-event-key");
  heading.append(element("span", `event-type ${event.type.toLowerCase()}`, event.type), " ", element("code", "", event.key));
  block.append(heading);
  const before = event.type === "ADDED" ? undefined : event.previous ?? undefined;
  const after = event.type === "DELETED" ? undefined : event.object ?? undefined;
  if (before && after) {
    const changes = diffObjects(before, after);
    const list = element("ul", "tl-diff");
    for (const change of changes) {
      const row = element("li");
      row.append(
        element("code", "diff-path", change.path),
        ": ",
        element("span", "diff-before", formatValue(change.before)),
        element("span", "diff-arrow", " → "),
        element("span", "diff-after", formatValue(change.after)),
      );
      list.append(row);
    }
    if (!changes.length) list.append(element("li", "muted", "no field changed"));
    block.append(list);
  } else {
    block.append(element("p", "", event.type === "ADDED" ? "A new object was stored." : "The object was removed from etcd."));
  }
  const objects = element("details", "tl-objects");
  objects.append(element("summary", "", "Whole object before and after"));
  const columns = element("div", "tl-columns");
  for (const [title, value] of [["Before", before], ["After", after]]) {
    const column = element("div");
    column.append(element("h4", "", title), element("pre", "", value === undefined ? "(none)" : JSON.stringify(value, null, 2)));
    columns.append(column);
  }
  objects.append(columns);
  block.append(objects);
  return block;
}

/**
 * "$ kubectl run web --image=nginx --restart=Always", wrapped between words only: a
 * browser would break "--restart" after its first hyphen.
 */
function commandLine(command) {
  const line = element("code", "tl-command");
  for (const [index, word] of ["$", ...command.split(" ")].entries()) {
    if (index) line.append(" ");
    line.append(element("span", "", word));
  }
  return line;
}
