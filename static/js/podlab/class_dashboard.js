/**
 * The class dashboard, live: each push on the class's channel (a student moved on,
 * answered, got stuck) makes the progress partial fetch itself again (htmx, throttled
 * in its hx-trigger), and reconnecting fetches it too, for what was missed meanwhile.
 */
import { LiveSocket, socketUrl } from "./socket.js";

const WORDS = {
  connecting: "Connecting…",
  connected: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline: retrying",
};

const dashboard = document.querySelector("#dashboard");
if (dashboard) {
  const status = document.querySelector("#dashboard-connection");
  const changed = () => document.body.dispatchEvent(new CustomEvent("class-changed"));
  const socket = new LiveSocket(socketUrl(dashboard.dataset.wsPath), {
    onMessage: (message) => {
      if (message.type === "error") {
        if (status) status.textContent = `Closed: ${message.status?.message ?? "refused"}`;
        return;
      }
      changed();
    },
    onStatus: (info) => {
      if (status) status.textContent = info.reason ? `${WORDS[info.state]} (${info.reason})` : WORDS[info.state];
      if (info.state === "connected") changed();
    },
  });
  socket.connect();
}
