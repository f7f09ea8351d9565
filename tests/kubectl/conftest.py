"""The real kubectl (/usr/bin/kubectl, 1.32) against a sandbox's API, served over TLS by a
real Daphne on the test database, with the certificate of a CA made for the test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubeapi.kubeconfig import issue_kubeconfig
from kubeapi.tls import ensure_certificates
from tests.conftest import port_answers
from tests.processes import free_port, start, stop, wait_for

KUBECTL = "/usr/bin/kubectl"


@pytest.fixture
def api_url(transactional_db, tmp_path, settings) -> Iterator[str]:
    """Daphne serving the API over TLS on a free port; the kubeconfigs the test makes point
    at it and embed its CA."""
    if not Path(KUBECTL).exists():
        pytest.skip(f"{KUBECTL} is not installed")
    files = ensure_certificates(tmp_path / "tls", [])
    port = free_port()
    endpoint = (
        f"ssl:{port}:interface=127.0.0.1:privateKey={files.server_key}:certKey={files.server_cert}"
    )
    daphne = str(Path(sys.executable).with_name("daphne"))
    log = tmp_path / "daphne-tls.log"
    server = start([daphne, "-e", endpoint, "sandbox.asgi:application"], log)
    wait_for(lambda: port_answers(port), timeout=30, message=log.read_text)
    settings.PODLAB_TLS_DIR = files.directory
    settings.PODLAB_API_URL = f"https://127.0.0.1:{port}"
    settings.PODLAB_API_LOCAL_CA = True
    yield settings.PODLAB_API_URL
    stop(server)


class Kubectl:
    """kubectl with a kubeconfig of its own (a user's token for one sandbox), and its own
    HOME: discovery and /version answers are cached per test, never across tests."""

    def __init__(self, home: Path, kubeconfig: str) -> None:
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.config = home / "kubeconfig"
        self.config.write_text(kubeconfig)

    def __call__(
        self, *args: str, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess:
        env = {**os.environ, "HOME": str(self.home), "KUBECONFIG": str(self.config)}
        done = subprocess.run(
            [KUBECTL, *args], env=env, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {done.stderr or done.stdout}")
        return done

    def start(self, *args: str, output: Path) -> subprocess.Popen:
        """kubectl running on (a watch), its output to a file the test reads as it goes."""
        env = {**os.environ, "HOME": str(self.home), "KUBECONFIG": str(self.config)}
        return subprocess.Popen(
            [KUBECTL, *args], env=env, stdout=output.open("w"), stderr=subprocess.STDOUT
        )


@pytest.fixture
def kubectl_for(api_url, tmp_path):
    """kubectl_for(user, sandbox): kubectl as the user, with a kubeconfig for the sandbox."""
    made = 0

    def kubectl(user, sandbox) -> Kubectl:
        nonlocal made
        made += 1
        return Kubectl(tmp_path / f"kubectl-{made}", issue_kubeconfig(sandbox, user))

    return kubectl
