"""Shared fixtures: named users and sandboxes, on the real configured database and Redis."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model

from cluster.models import Classroom, Sandbox
from cluster.sandboxes import sandbox_create

TEST_NAMESPACE = f"podlab-test-{os.getpid()}"


@pytest.fixture(autouse=True, scope="session")
def isolated_redis_names():
    """Give this test run its own Channels prefix and Celery queue on the shared Redis,
    so a `make run` on the same machine and the tests never see each other's messages."""
    from channels.layers import channel_layers
    from django.conf import settings

    from cluster import loops
    from sandbox.celery import app

    settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = TEST_NAMESPACE
    channel_layers.backends.clear()
    settings.CELERY_TASK_DEFAULT_QUEUE = TEST_NAMESPACE
    app.conf.task_default_queue = TEST_NAMESPACE
    yield
    channel_layers.backends.clear()
    client = loops.redis_client()
    leftovers = client.keys(f"{TEST_NAMESPACE}:*") + client.keys(f"_kombu.*.{TEST_NAMESPACE}")
    client.delete(TEST_NAMESPACE, *leftovers)


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
def fast_password_hashing(settings):
    """Real hashing costs a second per user; the tests do not test hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
