"""Shared fixtures: named users and sandboxes, on the real configured database and Redis."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, Phase, settings

from cluster.models import Classroom, Sandbox
from cluster.sandboxes import sandbox_create
from tests.processes import (
    TEST_NAMESPACE,
    free_port,
    kill,
    start,
    start_beat,
    start_worker,
    stop,
    wait_for,
)

# The generated-input tests (tests/apiserver/test_generated_calls.py): a fixed budget of
# examples, derandomized, so CI runs the same cases every time and in well under a
# minute. They reuse one sandbox per test function on purpose (state builds up across
# examples), hence the function-scoped fixture check is off.
settings.register_profile(
    "podlab",
    max_examples=200,  # shared by the tests: 80 + 80 + 40
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
# To look for new failures locally: PODLAB_HYPOTHESIS_PROFILE=podlab-explore pytest ...
# (random, five times the examples, failures reported unshrunk so each is seen at once).
# An environment variable, not --hypothesis-profile: the tests share the budget by
# fractions of it, read when their module is imported, before that option is applied.
settings.register_profile(
    "podlab-explore",
    parent=settings.get_profile("podlab"),
    max_examples=1000,
    derandomize=False,
    phases=[Phase.explicit, Phase.generate, Phase.target],
    report_multiple_bugs=True,
)
settings.load_profile(os.environ.get("PODLAB_HYPOTHESIS_PROFILE", "podlab"))


@pytest.fixture(autouse=True, scope="session")
def isolated_redis_names():
    """Give this test process its own Channels prefix and Celery queue on the shared
    Redis (TEST_NAMESPACE holds its pid), so that a `make run` on the same machine, and
    the other test process of `make test` (pytest-xdist), never see its messages."""
    from channels.layers import channel_layers
    from django.conf import settings

    from cluster import coordination
    from sandbox.celery import app

    settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = TEST_NAMESPACE
    channel_layers.backends.clear()
    settings.CELERY_TASK_DEFAULT_QUEUE = TEST_NAMESPACE
    app.conf.task_default_queue = TEST_NAMESPACE
    yield
    channel_layers.backends.clear()
    client = coordination.redis_client()
    leftovers = client.keys(f"{TEST_NAMESPACE}:*") + client.keys(f"_kombu.*.{TEST_NAMESPACE}")
    client.delete(TEST_NAMESPACE, *leftovers)


_test_numbers = itertools.count()


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Each test its own keys in the shared Redis cache (the rate limits' counters), so no
    test inherits another's counts; the session's clean-up above deletes them all."""
    cache = dict(settings.CACHES["default"])
    cache["KEY_PREFIX"] = f"{TEST_NAMESPACE}:cache:{next(_test_numbers)}"
    settings.CACHES = {**settings.CACHES, "default": cache}


def make_user(username: str, **extra):
    return get_user_model().objects.create_user(
        username=username, password="pw-" + username, **extra
    )


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def teacher(db):
    return make_user("teacher")


@pytest.fixture
def root_admin(db):
    return make_user("root-admin", is_staff=True, is_superuser=True)


@pytest.fixture
def classroom(teacher, alice):
    room = Classroom.objects.create(name="Class of 2026", instructor=teacher)
    room.students.add(alice)
    return room


@pytest.fixture
def sandbox(alice, classroom) -> Sandbox:
    """Alice's sandbox shaped like the lesson: control-plane, node-1, node-2."""
    return sandbox_create(owner=alice, name="lesson", classroom=classroom)


@pytest.fixture
def bare_sandbox(alice) -> Sandbox:
    """A sandbox row with an empty keyspace, for store tests."""
    return Sandbox.objects.create(owner=alice, name="bare")


@pytest.fixture(autouse=True)
def test_certificates(settings, tmp_path_factory):
    """The API's local CA, when a test needs one (a kubeconfig), made under the test run's
    own directory, not in var/."""
    settings.PODLAB_TLS_DIR = tmp_path_factory.getbasetemp() / "tls"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing costs a second per user; the tests do not test hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# -- the real stack, as separate processes on the test database ------------------------


@pytest.fixture
def celery_worker(transactional_db, tmp_path) -> Iterator[subprocess.Popen]:
    """A real worker process (two prefork children) serving this test run's queue."""
    worker = start_worker(tmp_path / "worker.log", f"{TEST_NAMESPACE}@%h")
    yield worker
    kill(worker)  # before the database is flushed: it may be mid-tick


@pytest.fixture
def celery_beat(transactional_db, tmp_path) -> Iterator[subprocess.Popen]:
    beat = start_beat(tmp_path / "beat.log")
    yield beat
    stop(beat)


@pytest.fixture
def stack(celery_beat, celery_worker) -> None:
    """Worker and beat together: the cluster runs on its own."""


@pytest.fixture
def live_server_url(transactional_db, tmp_path) -> Iterator[str]:
    """Daphne serving the ASGI app (HTTP and websockets) on a free loopback port."""
    daphne = str(Path(sys.executable).with_name("daphne"))
    port = free_port()
    server = start(
        [daphne, "-b", "127.0.0.1", "-p", str(port), "sandbox.asgi:application"],
        tmp_path / "daphne.log",
    )
    wait_for(
        lambda: port_answers(port),
        timeout=30,
        message=lambda: (tmp_path / "daphne.log").read_text(),
    )
    yield f"http://127.0.0.1:{port}"
    stop(server)


def port_answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
