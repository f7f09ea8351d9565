"""A small WebDriver BiDi client, enough for the Firefox end-to-end tests.

Debian's firefox-esr speaks WebDriver BiDi itself: started with
``--remote-debugging-port`` it serves ``ws://127.0.0.1:<port>/session``, and a
``session.new`` sent there opens a BiDi-only session (no geckodriver, no
Marionette). Playwright's Firefox needs Playwright's own patched build, which
cannot be downloaded here, so the tests drive the stock browser with this.

Only what the tests use is here:

- :class:`Firefox` starts a headless firefox-esr on a fresh, offline profile and
  stops it again;
- :class:`BidiSession` sends commands (``session.new``/``end``,
  ``browser.createUserContext``, ``browsingContext.*``, ``script.*``,
  ``storage.setCookie``, ``input.performActions``) and collects the
  ``log.entryAdded`` errors of every tab;
- :class:`Tab` is one browsing context: navigate, evaluate, call a function,
  poll a condition, click, type and press keys, take a screenshot.

Every wait has a timeout and fails with :class:`BidiTimeout`, saying what it
waited for. The protocol is specified at https://w3c.github.io/webdriver-bidi/.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket  # websocket-client

from tests.processes import free_port

FIREFOX = "/usr/bin/firefox-esr"

#: Prefs that keep a test profile quiet and off the network: no updates, telemetry,
#: experiments, remote settings, captive-portal or connectivity probes, safe browsing
#: downloads, prefetching or proxies; and only the BiDi protocol on the remote port.
OFFLINE_PREFS: dict[str, object] = {
    "remote.active-protocols": 1,  # WebDriver BiDi only (2 would be CDP, 3 both)
    "app.update.disabledForTesting": True,
    "app.update.auto": False,
    "app.normandy.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.page": 0,
    "browser.startup.homepage_override.mstone": "ignore",
    "startup.homepage_welcome_url": "about:blank",
    "browser.newtabpage.enabled": False,
    "browser.aboutwelcome.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.provider.google4.updateURL": "",
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.usage.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.server": "",
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.blocklist.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.http.speculative-parallel-limit": 0,
    "network.proxy.type": 0,
    "browser.ping-centre.telemetry": False,
    "geo.provider.network.url": "",
    "identity.fxaccounts.enabled": False,
}

LISTENING = re.compile(r"WebDriver BiDi listening on (ws://\S+)")

#: WebDriver key codes for the keys the tests press (the rest are their own character).
KEYS = {"Enter": "\ue007", "Tab": "\ue004", "Space": " ", "Escape": "\ue00c"}


class BidiError(RuntimeError):
    """The browser answered a command with an error, or went away."""


class BidiTimeout(BidiError):
    """Something the test waited for did not happen in time."""


class JavaScriptError(BidiError):
    """A script the test ran threw."""


# --- values between Python and the page ------------------------------------------


def to_local_value(value: object) -> dict:
    """A Python value as a BiDi LocalValue (a script's argument)."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, int | float):
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            return {"type": "number", "value": str(value).replace("inf", "Infinity")}
        return {"type": "number", "value": value}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, list | tuple):
        return {"type": "array", "value": [to_local_value(item) for item in value]}
    if isinstance(value, dict):
        return {
            "type": "object",
            "value": [[str(key), to_local_value(item)] for key, item in value.items()],
        }
    raise TypeError(f"cannot pass {type(value).__name__} to a script")


def from_remote_value(remote: dict) -> Any:
    """A BiDi RemoteValue as Python: primitives, lists and dicts; anything else (a
    node, a function, a window...) is returned as the protocol's own dict."""
    kind = remote.get("type")
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "boolean"):
        return remote["value"]
    if kind == "number":
        value = remote["value"]
        if isinstance(value, str):  # "NaN", "-0", "Infinity", "-Infinity"
            return float(value.replace("Infinity", "inf"))
        return value
    if kind in ("array", "set"):
        return [from_remote_value(item) for item in remote.get("value", [])]
    if kind in ("object", "map"):
        return {
            (key if isinstance(key, str) else from_remote_value(key)): from_remote_value(item)
            for key, item in remote.get("value", [])
        }
    return remote


# --- the browser process -------------------------------------------------------------


class Firefox:
    """A headless firefox-esr with a fresh profile and BiDi on a free loopback port.

    Use as a context manager, or call :meth:`close`. The profile (a temporary
    directory) is removed on close; its ``firefox.log`` holds the browser's output.
    """

    def __init__(self, executable: str = FIREFOX, *, startup_timeout: float = 30) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="podlab-firefox-"))
        (self.profile / "user.js").write_text(
            "".join(
                f"user_pref({json.dumps(name)}, {json.dumps(value)});\n"
                for name, value in OFFLINE_PREFS.items()
            )
        )
        self.log_path = self.profile / "firefox.log"
        port = free_port()
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [
                    executable,
                    "--headless",
                    "--no-remote",
                    "--remote-debugging-port",
                    str(port),
                    "-profile",
                    str(self.profile),
                    "about:blank",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "MOZ_HEADLESS": "1", "MOZ_CRASHREPORTER_DISABLE": "1"},
            )
        self.url = self._wait_listening(startup_timeout)

    def _wait_listening(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if match := LISTENING.search(self.log()):
                return f"{match.group(1)}/session"
            if self.process.poll() is not None:
                raise BidiError(f"firefox exited with {self.process.returncode}:\n{self.log()}")
            time.sleep(0.1)
        self.close()
        raise BidiTimeout(f"firefox did not open its BiDi port in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Firefox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the protocol --------------------------------------------------------------------


@dataclass
class LogEntry:
    """A log.entryAdded event: a console message or an uncaught error."""

    context: str
    type: str  # "console" or "javascript"
    level: str  # "debug", "info", "warn" or "error"
    text: str

    def __str__(self) -> str:
        return f"{self.type} {self.level}: {self.text}"


@dataclass
class BidiSession:
    """One BiDi session over one websocket. Not thread-safe: a test's one thread
    sends a command and reads until its answer, keeping the events it reads."""

    url: str
    timeout: float = 30
    log: list[LogEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Firefox refuses a handshake that carries an Origin header.
        self.ws = websocket.create_connection(self.url, timeout=self.timeout, suppress_origin=True)
        self._ids = itertools.count(1)
        self.command("session.new", {"capabilities": {}})
        self.command("session.subscribe", {"events": ["log.entryAdded"]})

    def command(self, method: str, params: dict | None = None, *, timeout: float | None = None):
        """Send a command and return its result; raise BidiError on an error answer,
        BidiTimeout if none comes in time."""
        command_id = next(self._ids)
        self.ws.send(json.dumps({"id": command_id, "method": method, "params": params or {}}))
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BidiTimeout(f"{method}: no answer in {limit}s")
            self.ws.settimeout(remaining)
            try:
                message = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                raise BidiTimeout(f"{method}: no answer in {limit}s") from None
            except (websocket.WebSocketException, OSError) as error:
                raise BidiError(f"{method}: the browser went away ({error})") from error
            if message.get("id") == command_id:
                if message.get("type") == "error":
                    raise BidiError(f"{method}: {message['error']}: {message.get('message', '')}")
                return message["result"]
            if message.get("type") == "event":
                self._event(message)

    def _event(self, message: dict) -> None:
        if message["method"] == "log.entryAdded":
            params = message["params"]
            self.log.append(
                LogEntry(
                    context=params.get("source", {}).get("context", ""),
                    type=params.get("type", ""),
                    level=params.get("level", ""),
                    text=params.get("text") or "",
                )
            )

    def new_tab(
        self, *, width: int = 1280, height: int = 800, cookies: list[dict] | None = None
    ) -> Tab:
        """A tab in a fresh user context (its own cookies, like a private window),
        with the given viewport and cookies, each {"name", "value", "domain"}."""
        user_context = self.command("browser.createUserContext")["userContext"]
        for cookie in cookies or []:
            self.command(
                "storage.setCookie",
                {
                    "cookie": {
                        "name": cookie["name"],
                        "value": {"type": "string", "value": cookie["value"]},
                        "domain": cookie["domain"],
                        "path": cookie.get("path", "/"),
                        "httpOnly": True,
                        "secure": False,
                        "sameSite": "lax",
                    },
                    "partition": {"type": "storageKey", "userContext": user_context},
                },
            )
        context = self.command(
            "browsingContext.create", {"type": "tab", "userContext": user_context}
        )["context"]
        self.command(
            "browsingContext.setViewport",
            {"context": context, "viewport": {"width": width, "height": height}},
        )
        return Tab(self, context, user_context)

    def contexts(self) -> list[dict]:
        """The top-level browsing contexts (browsingContext.getTree)."""
        return self.command("browsingContext.getTree", {"maxDepth": 0})["contexts"]

    def end(self) -> None:
        with contextlib.suppress(BidiError, websocket.WebSocketException, OSError):
            self.command("session.end", timeout=10)
        with contextlib.suppress(websocket.WebSocketException, OSError):
            self.ws.close()


@dataclass
class Tab:
    """One top-level browsing context."""

    session: BidiSession
    context: str
    user_context: str

    @property
    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions this tab logged so far."""
        return [
            str(entry)
            for entry in self.session.log
            if entry.context == self.context and entry.level == "error"
        ]

    def navigate(self, url: str, *, timeout: float = 30) -> None:
        """Load url and wait until the document's load event has fired."""
        self.session.command(
            "browsingContext.navigate",
            {"context": self.context, "url": url, "wait": "complete"},
            timeout=timeout,
        )

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (a promise is awaited)."""
        answer = self.session.command(
            "script.evaluate",
            {
                "expression": expression,
                "target": {"context": self.context},
                "awaitPromise": True,
                "resultOwnership": "none",
            },
        )
        return self._result(answer, expression)

    def call(self, function: str, *args: object) -> Any:
        """Call a JavaScript function declaration, e.g. "(a, b) => a + b", with
        JSON-like Python arguments, and return its (awaited) value."""
        answer = self.session.command(
            "script.callFunction",
            {
                "functionDeclaration": function,
                "arguments": [to_local_value(arg) for arg in args],
                "target": {"context": self.context},
                "awaitPromise": True,
                "resultOwnership": "none",
            },
        )
        return self._result(answer, function)

    @staticmethod
    def _result(answer: dict, source: str) -> Any:
        if answer["type"] == "exception":
            details = answer["exceptionDetails"]
            raise JavaScriptError(f"{details.get('text', 'an exception')} in: {source.strip()}")
        return from_remote_value(answer["result"])

    def wait_for(
        self,
        function: str,
        *args: object,
        timeout: float = 20,
        interval: float = 0.1,
        what: str | Callable[[], str] = "",
    ) -> Any:
        """Call function(*args) until it returns something truthy, and return that.
        On timeout, BidiTimeout says what was awaited (what, or the function)."""
        deadline = time.monotonic() + timeout
        while True:
            if value := self.call(function, *args):
                return value
            if time.monotonic() >= deadline:
                described = what() if callable(what) else what
                raise BidiTimeout(f"waited {timeout}s for {described or function.strip()}")
            time.sleep(interval)

    def click(self, selector: str, *, timeout: float = 10) -> None:
        """Click the centre of the first element matching selector with the mouse (real
        pointer events, as a user's click), once it is scrolled into the viewport."""
        element = self.wait_for(
            """async (selector) => {
                const element = document.querySelector(selector);
                if (!element) return null;
                element.scrollIntoView({ block: 'nearest', inline: 'nearest' });
                const frame = () => new Promise((done) => requestAnimationFrame(done));
                await frame();
                await frame();
                const box = element.getBoundingClientRect();
                const x = box.left + box.width / 2, y = box.top + box.height / 2;
                const inView = box.width > 0 && box.height > 0 && x >= 0 && y >= 0
                    && x < window.innerWidth && y < window.innerHeight;
                return inView ? element : null;
            }""",
            selector,
            timeout=timeout,
            what=f"{selector} to be shown in the viewport, to click it",
        )
        origin = {"type": "element", "element": {"sharedId": element["sharedId"]}}
        self.session.command(
            "input.performActions",
            {
                "context": self.context,
                "actions": [
                    {
                        "type": "pointer",
                        "id": "mouse",
                        "parameters": {"pointerType": "mouse"},
                        "actions": [
                            {"type": "pointerMove", "x": 0, "y": 0, "origin": origin},
                            {"type": "pointerDown", "button": 0},
                            {"type": "pointerUp", "button": 0},
                        ],
                    }
                ],
            },
        )

    def type_text(self, selector: str, text: str) -> None:
        """Focus the field matching selector, select what it holds and type text over
        it, one key at a time; fail if the field does not then hold text."""
        found = self.call(
            """(selector) => {
                const field = document.querySelector(selector);
                if (!field) return false;
                field.focus();
                field.select?.();
                return document.activeElement === field;
            }""",
            selector,
        )
        if not found:
            raise BidiError(f"type_text: {selector!r} is missing or cannot take the focus")
        self.press(*text)
        value = self.call("(selector) => document.querySelector(selector)?.value", selector)
        if value != text:
            raise BidiError(f"type_text: {selector!r} holds {value!r} after typing {text!r}")

    def press(self, *keys: str) -> None:
        """Press and release each key in turn on the focused element (names from KEYS,
        or a single character)."""
        actions = []
        for key in keys:
            code = KEYS.get(key, key)
            actions += [{"type": "keyDown", "value": code}, {"type": "keyUp", "value": code}]
        self.session.command(
            "input.performActions",
            {
                "context": self.context,
                "actions": [{"type": "key", "id": "keyboard", "actions": actions}],
            },
        )

    def screenshot(self, path: Path) -> bytes:
        """Save the viewport as a PNG at path, and return the PNG."""
        answer = self.session.command(
            "browsingContext.captureScreenshot", {"context": self.context, "origin": "viewport"}
        )
        png = base64.b64decode(answer["data"])
        path.write_bytes(png)
        return png

    def close(self) -> None:
        with contextlib.suppress(BidiError):
            self.session.command("browsingContext.close", {"context": self.context})
            self.session.command("browser.removeUserContext", {"userContext": self.user_context})
