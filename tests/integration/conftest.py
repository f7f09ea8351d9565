"""A real Celery worker and beat, as separate processes, on the test database and Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import TEST_NAMESPACE

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings["USER"] or "postgres"
    host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    return f"postgres://{user}@{host}/{settings['NAME']}"


def stack_environment() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "PODLAB_TASK_QUEUE": TEST_NAMESPACE,
        "PODLAB_CHANNEL_PREFIX": TEST_NAMESPACE,
        "PYTHONPATH": str(ROOT),
    }


def start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args, cwd=ROOT, env=stack_environment(), stdout=log.open("w"), stderr=subprocess.STDOUT
    )


@pytest.fixture
def celery_worker(transactional_db, tmp_path) -> Iterator[subprocess.Popen]:
    """A real worker process (two prefork children) serving this test run's queue."""
    celery = str(Path(sys.executable).with_name("celery"))
    worker = start(
        [
            celery,
            "-A",
            "sandbox",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "--without-mingle",
            "--without-gossip",
            "--hostname",
            f"{TEST_NAMESPACE}@%h",
        ],
        tmp_path / "worker.log",
    )
    wait_for(
        lambda: "ready" in (tmp_path / "worker.log").read_text(),
        timeout=30,
        message=lambda: (tmp_path / "worker.log").read_text(),
    )
    yield worker
    stop(worker)


@pytest.fixture
def celery_beat(transactional_db, tmp_path) -> Iterator[subprocess.Popen]:
    celery = str(Path(sys.executable).with_name("celery"))
    beat = start(
        [
            celery,
            "-A",
            "sandbox",
            "beat",
            "--loglevel=INFO",
            "--scheduler",
            "django_celery_beat.schedulers:DatabaseScheduler",
        ],
        tmp_path / "beat.log",
    )
    yield beat
    stop(beat)


@pytest.fixture
def stack(celery_worker, celery_beat) -> None:
    """Worker and beat together: the cluster runs on its own."""


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
