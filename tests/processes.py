"""Starting and stopping the real processes tests need: workers, beat, Daphne."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
# This test run's own names on the shared Redis: Celery queue, Channels prefix, keys.
TEST_NAMESPACE = f"podlab-test-{os.getpid()}"


def subprocess_database_url() -> str:
    """The test database, as a DATABASE_URL other processes can connect to."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings["USER"] or "postgres"
    host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    return f"postgres://{user}@{host}/{settings['NAME']}"


def stack_environment(**overrides: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "PODLAB_TASK_QUEUE": TEST_NAMESPACE,
        "PODLAB_CHANNEL_PREFIX": TEST_NAMESPACE,
        "PODLAB_CACHE_PREFIX": f"{TEST_NAMESPACE}:cache",
        "PYTHONPATH": str(ROOT),
        **overrides,
    }


def start(
    args: list[str], log: Path, *, env: dict[str, str] | None = None, new_session: bool = False
) -> subprocess.Popen:
    """Start a process of the stack. env: variables over stack_environment()'s (a private
    Redis's REDIS_URL); new_session: its own process group, so that a fault test can kill
    it with all its children at once, as a machine that dies would."""
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=stack_environment(**(env or {})),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=new_session,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(
    condition: Callable[[], object],
    *,
    timeout: float = 20,
    interval: float = 0.1,
    message: Callable[[], str] = lambda: "",
):
    """Poll until condition() is truthy; return its value, or fail with message()."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s. {message()}")
