"""Starting and stopping the real processes tests need: workers, beat, Daphne."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
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


def start_worker(
    log: Path, hostname: str, *, env: dict[str, str] | None = None, wait: bool = True
) -> subprocess.Popen:
    """A real Celery worker (two prefork children) on this run's queue, in a process group
    of its own (kill() ends it with its children); ready for tasks when this returns,
    unless wait=False."""
    celery = str(Path(sys.executable).with_name("celery"))
    args = [celery, "-A", "sandbox", "worker", "--loglevel=INFO", "--concurrency=2"]
    args += ["--without-mingle", "--without-gossip", "--hostname", hostname]
    worker = start(args, log, env=env, new_session=True)
    if wait:
        wait_for(lambda: "ready" in log.read_text(), timeout=60, message=log.read_text)
    return worker


def start_beat(log: Path, *, env: dict[str, str] | None = None) -> subprocess.Popen:
    celery = str(Path(sys.executable).with_name("celery"))
    args = [celery, "-A", "sandbox", "beat", "--loglevel=INFO"]
    args += ["--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"]
    return start(args, log, env=env)


def kill(process: subprocess.Popen) -> None:
    """kill -9 a process started with new_session, and its children, at once. A worker's
    warm shutdown takes seconds a test need not wait for: its outcome is already checked."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


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
