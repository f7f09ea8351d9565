"""The components' timers as the idle pass reads them from the database (cluster/idle.py),
on PostgreSQL and on SQLite, whose JSON functions differ: a JSON null must read as None,
never as the text "null" (which once made every resync on SQLite fail)."""

from __future__ import annotations

import pytest

from cluster import coordination, idle
from cluster.models import ComponentState

pytestmark = pytest.mark.django_db


def test_timers_read_as_json_values(bare_sandbox):
    rows = {
        "scheduler": {"wake_at": None},
        "controller-manager/podgc": {"wake_at": "2026-12-07T01:00:00Z", "other": [1] * 100},
        "kubelet/node-1": {"work_at": None, "nodeHealth": {"ready": True}},
        "kube-proxy/node-1": {},
    }
    for name, state in rows.items():
        ComponentState.objects.create(sandbox=bare_sandbox, name=name, state=state)

    read = {c.name: c.state for c in idle.component_timers([bare_sandbox.pk])[bare_sandbox.pk]}

    assert read == {
        "scheduler": {"wake_at": None, "work_at": None},
        "controller-manager/podgc": {"wake_at": "2026-12-07T01:00:00Z", "work_at": None},
        "kubelet/node-1": {"wake_at": None, "work_at": None, "nodeHealth": {"ready": True}},
        "kube-proxy/node-1": {"wake_at": None, "work_at": None},
    }


def test_a_sandbox_whose_components_set_no_timer_goes_idle(bare_sandbox):
    """Nobody watching, no recent work, every component ticked and none with a timer."""
    for name in ("scheduler", "kubelet/node-1"):
        ComponentState.objects.create(
            sandbox=bare_sandbox,
            name=name,
            state={"wake_at": None, "work_at": None},
            last_tick_at=bare_sandbox.now(),
        )
    coordination.redis_client().delete(idle._key("worked", bare_sandbox.pk))  # no recent work

    went = idle.idle_or_wake()  # raised ValueError("Invalid isoformat string: 'null'") on SQLite

    assert bare_sandbox.pk in went.went_idle
    bare_sandbox.refresh_from_db()
    assert bare_sandbox.idle
