"""The Endpoints' last-change-trigger-time, as upstream's TriggerTimeTracker computes it."""

from __future__ import annotations

from cluster.components.controllers.trigger_time import forget_gone, last_change_trigger_time

CREATED = "2026-12-07T10:00:00Z"


def service() -> dict:
    return {"metadata": {"name": "web", "namespace": "default", "creationTimestamp": CREATED}}


def pod(name: str, ready_since: str | None) -> dict:
    conditions = [{"type": "Ready", "lastTransitionTime": ready_since}] if ready_since else []
    return {"metadata": {"name": name}, "status": {"conditions": conditions}}


def test_a_new_service_s_trigger_is_its_creation_then_only_what_changed_since():
    memory: dict = {}
    pods = [pod("a", "2026-12-07T10:00:05Z"), pod("b", None)]
    assert last_change_trigger_time(memory, service(), pods) == CREATED
    assert last_change_trigger_time(memory, service(), pods) == ""  # nothing changed
    pods = [pod("a", "2026-12-07T10:01:00Z"), pod("b", "2026-12-07T10:00:30Z")]
    # Both changed: the earliest of their changes.
    assert last_change_trigger_time(memory, service(), pods) == "2026-12-07T10:00:30Z"
    pods.append(pod("c", "2026-12-07T10:02:00Z"))
    assert last_change_trigger_time(memory, service(), pods) == "2026-12-07T10:02:00Z"


def test_the_state_of_a_service_that_is_gone_is_forgotten():
    memory: dict = {}
    last_change_trigger_time(memory, service(), [])
    forget_gone(memory, {"default/other"})
    assert memory == {}
