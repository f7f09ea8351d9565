/**
 * The sandbox's live channel: one WebSocket, reconnected with backoff when it
 * closes. It knows nothing about revisions: the page decides when to ask for
 * a resync (state.js classifyBatch); this module only carries messages and
 * reports its connection state.
 */

/**
 * @typedef {"connecting"|"connected"|"reconnecting"|"offline"} ConnectionState
 * @typedef {{state: ConnectionState, attempt: number, retryInMs: number, reason: string}} ConnectionInfo
 */

/**
 * ws:// or wss:// for a same-origin path, following the page's protocol.
 * @param {string} path "/ws/sandboxes/1/"
 * @param {{protocol: string, host: string}} [location=window.location]
 * @returns {string}
 */
export function socketUrl(path, location = window.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/** Close codes the server uses to refuse for good (4000 + HTTP status: 4401, 4404). */
const REFUSED_CODES = { min: 4000, max: 4999 };
/** But 4429 (too many snapshots for this user) only says "later": try again after a while. */
const TOO_MANY_REQUESTS = 4429;
const TOO_MANY_REQUESTS_WAIT_MS = 15000;
/** After this many failed attempts in a row the page says "offline" (it keeps trying). */
const OFFLINE_AFTER = 5;

export class LiveSocket {
  /**
   * @param {string} url a ws:// or wss:// URL
   * @param {object} handlers
   * @param {(message: object) => void} handlers.onMessage each parsed JSON message
   * @param {(info: ConnectionInfo) => void} handlers.onStatus connection state changes
   * @param {number[]} [handlers.delays] reconnect delays in ms, the last one repeats
   */
  constructor(url, { onMessage, onStatus, delays = [500, 1000, 2000, 4000, 8000] }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.delays = delays;
    this.socket = null;
    this.failures = 0;
    this.retryTimer = 0;
    this.stopped = false;
    this.retryNow = () => this.reconnectSoon(0);
  }

  /** Open the connection (and keep it open until close()). */
  connect() {
    this.stopped = false;
    window.addEventListener("online", this.retryNow);
    this.open();
  }

  open() {
    clearTimeout(this.retryTimer);
    this.report(this.failures ? "reconnecting" : "connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.failures = 0;
      this.report("connected");
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return; // not ours to understand; the next snapshot heals anything missed
      }
      this.onMessage(message);
    });
    socket.addEventListener("close", (event) => this.closed(socket, event));
  }

  closed(socket, event) {
    if (socket !== this.socket || this.stopped) return;
    this.socket = null;
    if (event.code === TOO_MANY_REQUESTS) {
      this.failures += 1;
      this.reconnectSoon(Math.max(this.backoff(), TOO_MANY_REQUESTS_WAIT_MS));
      return;
    }
    if (event.code >= REFUSED_CODES.min && event.code <= REFUSED_CODES.max) {
      this.report("offline", 0, event.reason || `the server refused the connection (${event.code - 4000})`);
      return;
    }
    this.failures += 1;
    this.reconnectSoon(this.backoff());
  }

  /** The next delay: doubling, capped, with +-20% jitter so a classroom does not reconnect in step. */
  backoff() {
    const base = this.delays[Math.min(this.failures - 1, this.delays.length - 1)];
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  reconnectSoon(delay) {
    if (this.stopped || this.socket) return;
    clearTimeout(this.retryTimer);
    const state = this.failures >= OFFLINE_AFTER || !navigator.onLine ? "offline" : "reconnecting";
    this.report(state, delay);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  /**
   * Send a JSON message if the socket is open.
   * @param {object} message e.g. {"type": "resync"}
   * @returns {boolean} false when it could not be sent
   */
  send(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Close for good (no reconnect). */
  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    window.removeEventListener("online", this.retryNow);
    this.socket?.close();
    this.socket = null;
  }

  report(state, retryInMs = 0, reason = "") {
    this.onStatus({ state, attempt: this.failures, retryInMs, reason });
  }
}
