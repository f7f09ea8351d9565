"""Take screenshots of Podlab's pages with headless Chromium, for docs/ and for looking.

Usage: .venv/bin/python scripts/screenshots.py [BASE_URL]   (default http://127.0.0.1:8000)
Needs a running `make run` and Debian's chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def main(base: str) -> None:
    passwords = json.loads((ROOT / "var" / "demo-accounts.json").read_text())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/login/")
        page.screenshot(path=DOCS / "login.png")
        log_in(page, base, "student", passwords["student"])
        page.click("ul.sandboxes a")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=DOCS / "sandbox.png", full_page=True)
        page.context.clear_cookies()
        log_in(page, base, "admin", passwords["admin"])
        page.goto(f"{base}/admin/cluster/node/")
        page.screenshot(path=DOCS / "admin-nodes.png", full_page=True)
        page.goto(f"{base}/admin/cluster/storekey/?q=nodes/node-1")
        page.click("#result_list tbody a")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=DOCS / "admin-store-key.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
