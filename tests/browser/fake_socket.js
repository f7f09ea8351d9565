// Injected before the page's scripts: a WebSocket the tests drive.
// window.fakeSocket() is the newest one; deliver(message) plays the server.
(() => {
  const sockets = [];

  class FakeWebSocket extends EventTarget {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;

    constructor(url) {
      super();
      this.url = url;
      this.readyState = FakeWebSocket.CONNECTING;
      this.sent = [];
      sockets.push(this);
      setTimeout(() => this.open(), 0);
    }

    open() {
      if (this.readyState !== FakeWebSocket.CONNECTING) return;
      this.readyState = FakeWebSocket.OPEN;
      this.dispatchEvent(new Event("open"));
    }

    send(data) {
      this.sent.push(JSON.parse(data));
    }

    deliver(message) {
      this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(message) }));
    }

    close(code = 1000, reason = "") {
      if (this.readyState === FakeWebSocket.CLOSED) return;
      this.readyState = FakeWebSocket.CLOSED;
      this.dispatchEvent(new CloseEvent("close", { code, reason }));
    }
  }

  window.WebSocket = FakeWebSocket;
  window.fakeSockets = sockets;
  window.fakeSocket = () => sockets[sockets.length - 1];
})();
