"""A static harness for the live page's JavaScript: the real template rendered
with a made-up context (no database), the real static files, stand-in panel
partials, and a fake WebSocket (fake_socket.js) the tests drive.

Used by the tests in this folder and by screenshots.py.
"""

from __future__ import annotations

import json
import mimetypes
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

SANDBOX_PATH = "/sandboxes/1/"
HISTORY_PATH = f"{SANDBOX_PATH}history/"
FAKE_SOCKET_JS = Path(__file__).with_name("fake_socket.js")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def empty_snapshot() -> dict:
    return {
        "type": "snapshot",
        "revision": 0,
        "sandbox": {
            "id": 1,
            "name": "lesson",
            "mode": "watch",
            "paused": False,
            "speed": 1.0,
            "now": "2026-11-26T22:28:00+00:00",
        },
        "nodes": [],
        "pods": [],
        "components": [],
        "traces": [],
    }


def render_page(snapshot: dict, *, username: str = "student", may_write: bool = True) -> bytes:
    """templates/sandbox/detail.html with the context the page view gives it
    (may_write: whether the user owns the sandbox, or only reads it)."""
    from django.contrib.auth import get_user_model
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from sandbox.views.pages import LIVE_PAGE_MODULES

    request = RequestFactory().get(SANDBOX_PATH)
    request.user = get_user_model()(username=username)  # never saved: no database
    request.may_write = may_write
    clock = snapshot["sandbox"]
    sandbox = SimpleNamespace(
        pk=1,
        name="How Kubernetes creates a pod",
        mode=clock["mode"],
        clock_paused=clock["paused"],
        clock_speed=clock["speed"],
        get_mode_display=lambda: clock["mode"],
        owner=get_user_model()(username="student"),
    )
    context = {
        "sandbox": sandbox,
        "snapshot": snapshot,
        "panel_base": SANDBOX_PATH,
        "history_url": HISTORY_PATH,
        "ws_path": "/ws/sandboxes/1/",
        "speeds": (0.5, 1.0, 2.0, 5.0, 10.0),
        "live_modules": LIVE_PAGE_MODULES,
    }
    return render_to_string("sandbox/detail.html", context, request=request).encode()


@dataclass
class Harness:
    """The running server, what it serves, and what it was asked."""

    base_url: str = ""
    page: bytes = b""
    posts: list[dict] = field(default_factory=list)
    panel_gets: list[str] = field(default_factory=list)
    post_answer: bytes = b""
    # The status and type of post_answer (403 with a Status, 409 with the status partial...).
    post_status: int = 200
    post_type: str = "application/json"
    # Panels by path under the sandbox (e.g. "pods/default/web/"): their HTML, instead
    # of the stand-in heading.
    panels: dict[str, bytes] = field(default_factory=dict)
    # What GET history/ answers: pages as sandbox/history.py sends them, by their "to".
    history_pages: dict[int, dict] = field(default_factory=dict)
    history_gets: list[str] = field(default_factory=list)
    # Seconds the history endpoint takes to answer (a big sandbox's history is slow).
    history_delay: float = 0.0

    def load(
        self,
        browser_page,
        *,
        snapshot: dict | None = None,
        query: str = "animations=off",
        may_write: bool = True,
    ) -> None:
        """Render the page around an embedded snapshot and open it."""
        self.page = render_page(snapshot or empty_snapshot(), may_write=may_write)
        browser_page.goto(f"{self.base_url}{SANDBOX_PATH}{'?' + query if query else ''}")
        browser_page.wait_for_function(
            "() => window.podlab && window.fakeSocket && window.fakeSocket()"
        )


def _handler(harness: Harness):
    from django.contrib.staticfiles import finders

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def reply(
            self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8"
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            path = self.path.split("?", 1)[0]
            if path.startswith("/static/"):
                found = finders.find(path.removeprefix("/static/"))
                if not found:
                    self.reply(404, b"not found")
                    return
                kind = (
                    "text/javascript" if found.endswith(".js") else mimetypes.guess_type(found)[0]
                )
                self.reply(200, Path(found).read_bytes(), kind or "application/octet-stream")
            elif path == "/favicon.ico":
                self.reply(204, b"")
            elif path == SANDBOX_PATH:
                self.reply(200, harness.page)
            elif path == HISTORY_PATH:
                self.reply_history()
            elif path.startswith(SANDBOX_PATH):
                harness.panel_gets.append(path)
                panel = path.removeprefix(SANDBOX_PATH)
                stand_in = f'<h2 class="fixture-panel">panel {panel}</h2>'.encode()
                self.reply(200, harness.panels.get(panel, stand_in))
            else:
                self.reply(404, b"not found")

        def reply_history(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            harness.history_gets.append(self.path)
            time.sleep(harness.history_delay)
            to = int(query.get("to", ["0"])[0])
            page = harness.history_pages.get(to)
            if page is None:
                empty = {"from": to, "to": to, "oldest": to, "more": False}
                page = {**empty, "revision": to, "events": [], "traces": []}
            self.reply(200, json.dumps(page).encode(), "application/json")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            harness.posts.append(
                {
                    "path": self.path,
                    "body": self.rfile.read(length).decode(),
                    "csrf": self.headers.get("X-CSRFToken", ""),
                }
            )
            if harness.post_answer:
                self.reply(harness.post_status, harness.post_answer, harness.post_type)
            else:
                self.reply(204, b"")

    return Handler


def start_server(harness: Harness) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(harness))
    harness.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="podlab-harness", daemon=True).start()
    return server


def deliver(page, message: dict) -> None:
    """The server sends a message on the (fake) websocket."""
    page.evaluate("message => window.fakeSocket().deliver(message)", message)


def sent(page) -> list[dict]:
    """Messages the page sent on its current websocket."""
    return page.evaluate("() => window.fakeSocket().sent")


def wait_for_revision(page, revision: int) -> None:
    page.wait_for_function("r => window.podlab.revision === r", arg=revision)


def wait_for_snapshots(page, count: int) -> None:
    page.wait_for_function(
        "n => window.podlab.snapshots === n && window.podlab.connected", arg=count
    )


def record_drawing(page) -> None:
    """From now on, log what the diagram's message layer draws, in order: each message,
    stop sign, stage panel and set of scheduling marks as it appears ({"kind", "text"}),
    and as it goes ({"kind": "gone <kind>", "text"}: a stage panel's lights by then,
    e.g. "authentication ✓authorization ✗"). A log, not a look: a message that comes
    and goes between two polls is still in it."""
    page.evaluate(
        """() => {
        window.drawn = [];
        const describe = (node, prefix) => ({
            kind: prefix + node.getAttribute('class'),
            text: node.textContent,
            marks: [...node.querySelectorAll('.mark')].map(
                (mark) => [mark.dataset.node, mark.querySelector('text').textContent,
                           mark.getAttribute('class')]),
        });
        new MutationObserver((records) => {
            for (const record of records) {
                for (const node of record.addedNodes) {
                    if (node.nodeType === 1) window.drawn.push(describe(node, ''));
                }
                for (const node of record.removedNodes) {
                    if (node.nodeType === 1) window.drawn.push(describe(node, 'gone '));
                }
            }
        }).observe(document.querySelector('.diagram .messages'), { childList: true });
    }"""
    )


def drawn(page) -> list[dict]:
    """What the diagram drew since record_drawing."""
    return page.evaluate("() => window.drawn")
