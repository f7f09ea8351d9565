/**
 * The timeline: one list item per API call, oldest at the top, newest at the
 * bottom, following the newest unless the student scrolled up. Filters by
 * who called, by object name, and reads on or off. Opening an item shows the
 * API server's stages and what the call changed (before -> after).
 */

import { diffObjects, formatValue } from "./diff.js";
import { actorPlace, isRead, isRoutine, isWrite } from "./routes.js";

/** Keep at most this many items in the page (older ones stay in history). */
const MAX_ITEMS = 2000;
/** "Near the bottom" for auto-scrolling, in px. */
const STICKY_PX = 48;

const ACTOR_WORDS = {
  user: "you",
  scheduler: "scheduler",
  controller: "controller",
  apiserver: "API server",
};

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
   * @param {object} handlers
   * @param {(trace: object) => object[]} handlers.eventsFor the store events a trace's write made
   * @param {(trace: object|null) => void} handlers.onSelect an item was opened (null: closed)
   * @param {() => void} [handlers.onFilter] the filters changed
   */
  constructor({ list, filters, count, jump, summary }, { eventsFor, onSelect, onFilter = () => {} }) {
    this.list = list;
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
    this.selected = null;
    this.unseen = 0;
    /** Following the newest call (the student has not scrolled up). */
    this.stuck = true;
    this.scrollQueued = false;
    this.hiddenKinds = new Set();
    this.showReads = true;
    this.showRoutine = true;
    this.query = "";
    this.readFilters();
    // form.elements also holds fields outside the form tag (form="..."), like the name filter.
    for (const field of filters.elements) field.addEventListener("input", () => this.filtersChanged());
    filters.addEventListener("submit", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      const summary = event.target.closest(".tl-summary");
      if (summary) this.toggle(summary.closest("li"));
    });
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
  }

  readFilters() {
    const data = new FormData(this.filters);
    const shown = new Set(data.getAll("actor"));
    this.hiddenKinds = new Set(
      [...this.filters.querySelectorAll("input[name=actor]")].map((box) => box.value).filter((kind) => !shown.has(kind)),
    );
    this.showReads = data.has("reads");
    this.showRoutine = data.has("routine");
    this.query = String(data.get("object") ?? "").trim().toLowerCase();
  }

  filtersChanged() {
    this.readFilters();
    for (const kind of ["user", "scheduler", "controller", "kubelet", "apiserver"]) {
      this.list.classList.toggle(`hide-${kind}`, this.hiddenKinds.has(kind));
    }
    this.list.classList.toggle("hide-reads", !this.showReads);
    this.list.classList.toggle("hide-routine", !this.showRoutine);
    this.describeFilters();
    for (const { trace, item } of this.items.values()) item.hidden = !this.matchesQuery(trace);
    this.onFilter();
  }

  describeFilters() {
    if (!this.summary) return;
    const labels = (selector) => [...this.filters.querySelectorAll(selector)]
      .map((box) => box.closest("label").textContent.trim().split(" (")[0]);
    const hidden = [
      ...labels("input[name=actor]:not(:checked)"),
      ...labels("input[name=reads]:not(:checked), input[name=routine]:not(:checked)"),
    ];
    if (this.query) hidden.push(`names without "${this.query}"`);
    this.summary.textContent = hidden.length ? `hiding ${hidden.join(", ")}` : "showing every call";
  }

  matchesQuery(trace) {
    if (!this.query) return true;
    return `${trace.namespace}/${trace.name}`.toLowerCase().includes(this.query);
  }

  /**
   * Whether the filters let this call show (the animation follows them too).
   * @param {object} trace
   * @param {object|null} [object] what the call wrote, when known (see isRoutine)
   * @returns {boolean}
   */
  isShown(trace, object = null) {
    if (this.hiddenKinds.has(actorPlace(trace.actor).kind)) return false;
    if (!this.showReads && isRead(trace)) return false;
    if (!this.showRoutine && isRoutine(trace, object)) return false;
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
    for (const trace of fresh) {
      const item = this.buildItem(trace);
      this.items.set(trace.id, { trace, item });
      if (lastId !== null && trace.id < lastId) this.insertInOrder(item, trace.id);
      else tail.append(item);
    }
    this.list.append(tail);
    this.trim();
    setTextIfChanged(this.countLabel, `${this.sequence} calls`);
    if (this.stuck) this.scrollSoon();
    else this.setUnseen(this.unseen + fresh.filter((trace) => this.isShown(trace)).length);
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
      head.append(item);
    }
    this.list.prepend(head);
    let number = this.trimmed;
    for (const item of this.list.children) {
      number += 1;
      setTextIfChanged(item.querySelector(".tl-num"), String(number));
    }
    this.sequence = number;
    setTextIfChanged(this.countLabel, `${this.sequence} calls`);
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
      this.items.delete(Number(oldest.dataset.id));
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
    if (isRoutine(trace)) item.dataset.routine = "1";
    if (trace.code >= 400) item.classList.add("failed");
    if (isWrite(trace)) item.classList.add("write");
    item.hidden = !this.matchesQuery(trace);

    const summary = element("button", "tl-summary");
    summary.type = "button";
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
    for (const { trace, item } of this.items.values()) {
      item.classList.toggle("future", revision !== null && trace.revision > revision);
    }
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
