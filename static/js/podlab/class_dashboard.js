/**
 * The class dashboard, live: each push on the class's channel (a student moved on,
 * answered, got stuck) makes the progress partial fetch itself again (follow.js: at most
 * one fetch each half second, the last push never lost), and reconnecting fetches it
 * too, for what was missed meanwhile.
 */
import { PartialFollower } from "./follow.js";
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
  const progress = new PartialFollower("#class-progress", { minGapMs: 500 });
  const changed = () => progress.told();
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
