"""The issue's "Done when", end to end: a student downloads a kubeconfig from the sandbox
page, runs `kubectl get pods -w` and `kubectl run web --image=nginx` in a terminal (the
real kubectl 1.32), and sees the pod go Pending -> ContainerCreating -> Running while the
page, open all along, animates the same calls; then types kubectl commands in the page's
command box and sees their answers, and their calls in the timeline.

One Daphne serves the page over HTTP and the API over TLS, as the Procfile's web process
does: the kubeconfig is made by that process, so its settings (PODLAB_API_URL,
PODLAB_TLS_DIR, PODLAB_API_LOCAL_CA) are the ones that must point at the TLS endpoint.

Set PODLAB_DOCS_SCREENSHOTS=1 to also write docs/kubectl-terminal-and-page-1280x800.png,
docs/command-box-1280x1000.png and docs/command-box-390x844.png.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from cluster.models import Trace
from kubeapi.tls import ensure_api_certificates
from tests.browser.harness import drawn, record_drawing
from tests.conftest import port_answers
from tests.e2e.conftest import wait_connected, wait_until_the_diagram_is_still
from tests.kubectl.conftest import KUBECTL, Kubectl
from tests.processes import free_port, start, stop, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCREENSHOTS = os.environ.get("PODLAB_DOCS_SCREENSHOTS") == "1"


@pytest.fixture
def api_port() -> int:
    return free_port()


@pytest.fixture
def live_server_url(transactional_db, tmp_path, settings, api_port) -> Iterator[str]:
    """Overrides tests/conftest.py's: one Daphne serving the page (HTTP) and the sandboxes'
    API (TLS, with a certificate from a CA made for the test), with the settings that make
    the kubeconfigs it hands out point at its TLS endpoint and embed that CA."""
    if not Path(KUBECTL).exists():
        pytest.skip(f"{KUBECTL} is not installed")
    settings.PODLAB_TLS_DIR = tmp_path / "tls"
    settings.PODLAB_API_URL = f"https://127.0.0.1:{api_port}"
    settings.PODLAB_API_LOCAL_CA = True
    # Made here, before Daphne loads them, for the names the web process wants too
    # (ALLOWED_HOSTS and the API's host): it finds them and makes no others.
    tls = ensure_api_certificates()
    web_port = free_port()
    daphne = str(Path(sys.executable).with_name("daphne"))
    tls_endpoint = (
        f"ssl:{api_port}:interface=127.0.0.1:privateKey={tls.server_key}:certKey={tls.server_cert}"
    )
    log = tmp_path / "daphne.log"
    server = start(
        [daphne, "-b", "127.0.0.1", "-p", str(web_port), "-e", tls_endpoint]
        + ["sandbox.asgi:application"],
        log,
        env={
            "PODLAB_TLS_DIR": str(settings.PODLAB_TLS_DIR),
            "PODLAB_API_URL": settings.PODLAB_API_URL,
            "PODLAB_API_LOCAL_CA": "1",
        },
    )
    wait_for(
        lambda: port_answers(web_port) and port_answers(api_port),
        timeout=30,
        message=log.read_text,
    )
    yield f"http://127.0.0.1:{web_port}"
    stop(server)


# -- the student's terminal ---------------------------------------------------------------


def download_kubeconfig(page, folder: Path) -> Path:
    """Click the page's button and keep what the browser downloads."""
    with page.expect_download() as download:
        page.get_by_role("button", name="Download kubeconfig").click()
    saved = folder / download.value.suggested_filename
    download.value.save_as(saved)
    return saved


def watch_statuses(output: Path, pod: str) -> list[str]:
    """The STATUS column of the pod's rows in `kubectl get pods -w`'s output so far."""
    rows = [line.split() for line in output.read_text().splitlines()]
    return [row[2] for row in rows if len(row) > 2 and row[0] == pod]


# -- the page -----------------------------------------------------------------------------


def record_commands_shown(page) -> None:
    """From now on, log each command line the diagram's command window shows: it shows the
    command of the call whose messages are travelling."""
    page.evaluate(
        """() => {
        window.commandsShown = [];
        const text = document.querySelector('.diagram .command-window text');
        new MutationObserver(() => window.commandsShown.push(text.textContent))
            .observe(text, { childList: true, characterData: true, subtree: true });
    }"""
    )


# The command lines the timeline shows under the calls whose narration starts so.
TIMELINE_COMMANDS_JS = """(narration) => [...document.querySelectorAll('#timeline-list li')]
    .filter((li) => li.querySelector('.tl-text')?.textContent.startsWith(narration))
    .map((li) => li.querySelector('.tl-command')?.textContent ?? '')"""

# The worker node whose box holds the pod's card, and the card's label.
POD_ON_NODE_JS = """(name) => {
    const card = document.querySelector(`g.node g.pod[data-name="${name}"]`);
    if (!card) return null;
    return { node: card.closest('g.node').dataset.node, label: card.getAttribute('aria-label') };
}"""


def wait_timeline_command(page, narration: str, command: str) -> None:
    page.wait_for_function(
        f"([narration, command]) => ({TIMELINE_COMMANDS_JS})(narration).includes(command)",
        arg=[narration, command],
        timeout=30_000,
    )


def type_in_the_box(page, line: str) -> str:
    """Type a command in the command box, press Enter, and return the answer's text."""
    answers = page.locator("#command-output .command-answer")
    before = answers.count()
    page.fill("#command-input", line)
    page.press("#command-input", "Enter")
    page.wait_for_function(
        "(count) => document.querySelectorAll('#command-output .command-answer').length > count",
        arg=before,
        timeout=30_000,
    )
    answer = answers.nth(before)
    assert answer.locator(".command-line kbd").inner_text() == line
    return answer.locator(".command-text").inner_text()


def test_kubectl_in_a_terminal_and_in_the_command_box_while_the_page_shows_its_calls(
    open_page, api_port, sandbox, alice, tmp_path
):
    page = open_page(alice, f"/sandboxes/{sandbox.pk}/")
    wait_connected(page)
    # Slow: each call's messages may trail the store by up to 4 s, so that kubectl's calls
    # travel on the diagram instead of being folded to keep up with the components'.
    page.select_option("#pace", "0.5")
    record_drawing(page)
    record_commands_shown(page)

    kubeconfig = download_kubeconfig(page, tmp_path)
    [cluster] = yaml.safe_load(kubeconfig.read_text())["clusters"]
    assert cluster["cluster"]["server"] == f"https://127.0.0.1:{api_port}/clusters/{sandbox.pk}"
    terminal = Kubectl(tmp_path / "terminal", kubeconfig.read_text())

    # The sandbox's components start with a burst of calls (leases, events): let the page
    # show them before kubectl's.
    wait_for(
        lambda: (
            Trace.objects.filter(sandbox=sandbox, verb="create", resource="leases").count() == 3
        ),
        timeout=30,
    )
    watch_output = tmp_path / "watch.txt"
    watching = terminal.start("get", "pods", "-w", output=watch_output)
    try:
        wait_timeline_command(page, "alice watched pods in default", "$ kubectl get")
        wait_until_the_diagram_is_still(page, sandbox)
        assert terminal("run", "web", "--image=nginx").stdout == "pod/web created\n"
        wait_for(
            lambda: "Running" in watch_statuses(watch_output, "web"),
            timeout=60,
            message=watch_output.read_text,
        )
    finally:
        watching.terminate()
        watching.wait(timeout=10)
    seen = list(dict.fromkeys(watch_statuses(watch_output, "web")))  # each once, in order
    assert seen == ["Pending", "ContainerCreating", "Running"]

    # The page, live over its websocket all along, showed the same: kubectl's create in the
    # timeline with its command, its messages on the diagram, and the pod Running on the
    # node kubectl names.
    wait_timeline_command(page, "alice created pod default/web:", "$ kubectl run")
    page.wait_for_function(
        '(name) => (document.querySelector(`g.node g.pod[data-name="${name}"]`)'
        "?.getAttribute('aria-label') || '').endsWith(': Running')",
        arg="web",
        timeout=30_000,
    )
    if SCREENSHOTS:
        shoot_the_terminal_and_the_page(page, watch_output.read_text())
    node = terminal("get", "pod", "web", "-o", "jsonpath={.spec.nodeName}").stdout
    assert page.evaluate(POD_ON_NODE_JS, "web") == {"node": node, "label": "pod web: Running"}
    messages = [entry["text"] for entry in drawn(page)]
    assert "create pod web" in messages, messages
    assert "$ kubectl run" in page.evaluate("window.commandsShown")

    # The same student, in the page's command box: the same API server answers.
    listed = type_in_the_box(page, "kubectl get pods")
    assert re.fullmatch(
        r"NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nweb\s+1/1\s+Running\s+0\s+\S+", listed
    ), listed
    wait_timeline_command(page, "alice listed pods in default:", "$ kubectl get pods")
    assert type_in_the_box(page, "kubectl delete pod web") == 'pod "web" deleted'
    deleted = "alice asked to delete pod default/web:"
    wait_timeline_command(page, deleted, "$ kubectl delete pod web")
    page.wait_for_selector('g.pod[data-name="web"]', state="detached", timeout=30_000)
    assert terminal("get", "pods", "-o", "name").stdout == ""
    if SCREENSHOTS:
        shoot_the_command_box(page, sandbox)
    assert page.errors == []


# -- screenshots for docs/ (PODLAB_DOCS_SCREENSHOTS=1) ------------------------------------


def shoot_the_terminal_and_the_page(page, watch_text: str) -> None:
    """The page as the student sees it once kubectl's pod runs, with their two terminals
    over the timeline's lower part (drawn for the picture, then taken away): the whole
    diagram, and the timeline from kubectl run's call on."""
    terminals = [
        ["$ kubectl get pods -w", *watch_text.splitlines()],
        ["$ kubectl run web --image=nginx", "pod/web created"],
    ]
    page.evaluate(
        """([terminals, created]) => {
        [...document.querySelectorAll('#timeline-list li')]
            .find((li) => li.querySelector('.tl-text').textContent.startsWith(created))
            .scrollIntoView({ block: 'start' });
        const workspace = document.querySelector('.workspace').getBoundingClientRect();
        window.scrollTo(0, window.scrollY + workspace.top - 8);
        const desk = document.createElement('div');
        desk.id = 'screenshot-terminals';
        Object.assign(desk.style, {
            position: 'fixed', right: '12px', bottom: '12px', width: '430px', zIndex: 1000,
            display: 'grid', gap: '10px',
        });
        terminals.forEach((lines, index) => {
            const frame = document.createElement('div');
            Object.assign(frame.style, {
                background: '#0b0f14', color: '#e6edf3', borderRadius: '8px',
                boxShadow: '0 6px 24px rgba(0, 0, 0, .5)', overflow: 'hidden',
            });
            const title = document.createElement('div');
            title.textContent = `Terminal ${index + 1}`;
            Object.assign(title.style, {
                background: '#2b323c', color: '#c9d4df', font: '12px system-ui, sans-serif',
                padding: '4px 10px',
            });
            const text = document.createElement('pre');
            text.textContent = lines.join('\\n');
            Object.assign(text.style, {
                margin: 0, padding: '8px 10px', font: '12px/1.45 "DejaVu Sans Mono", monospace',
            });
            frame.append(title, text);
            desk.append(frame);
        });
        document.body.append(desk);
    }""",
        [terminals, "alice created pod default/web:"],
    )
    page.screenshot(path=str(DOCS / "kubectl-terminal-and-page-1280x800.png"))
    page.evaluate("() => document.querySelector('#screenshot-terminals').remove()")


def shoot_the_command_box(page, sandbox) -> None:
    """The box with a few answers, wide and on a phone, each on a freshly loaded page."""
    for width, height in ((1280, 1000), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(page.url.split("?")[0] + "?animations=off")
        wait_connected(page)
        pod = f"web-{width}"
        type_in_the_box(page, "kubectl get nodes")
        type_in_the_box(page, f"kubectl run {pod} --image=nginx")
        running = Trace.objects.filter(
            sandbox=sandbox, narration__contains=f"status of pod default/{pod} (Running)"
        )
        wait_for(running.exists, timeout=60)
        type_in_the_box(page, "kubectl get pods -o wide")
        type_in_the_box(page, f"kubectl describe pod {pod}")
        # The output keeps the newest answer in view; scrolled back to the first one here,
        # so that the picture shows them all, as a student scrolling up would see them.
        page.evaluate(
            """() => {
            const output = document.querySelector('#command-output');
            const first = output.querySelector('.command-answer').getBoundingClientRect();
            output.scrollTop += first.top - output.getBoundingClientRect().top;
        }"""
        )
        page.locator("#command-box").scroll_into_view_if_needed()
        page.screenshot(path=str(DOCS / f"command-box-{width}x{height}.png"))
        # Kubectl's wide tables pan inside their answer; they never widen the page.
        assert page.evaluate("document.documentElement.scrollWidth") == width
