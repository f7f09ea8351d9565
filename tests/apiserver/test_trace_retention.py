"""The trace table, bounded per sandbox in bytes as well as in count (loops.trim_history,
which beat runs every minute)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cluster import loops
from cluster.apiserver import ApiError, ApiServer
from cluster.models import Trace
from tests.apiserver.manifests import pod_manifest

pytestmark = pytest.mark.django_db


def text_bytes(trace: Trace) -> int:
    """What the byte bound counts of a trace: the texts that grow (cluster.apiserver.tracing)."""
    import json

    return len(trace.narration) + len(json.dumps(trace.stages)) + len(trace.command)


def refused_creates(sandbox, user, count: int) -> None:
    """Big traces: each refusal's stages carry its many causes."""
    api = ApiServer.as_user(sandbox, user)
    manifest = pod_manifest("bad")
    manifest["spec"]["containers"] = [{"name": f"c{i}", "image": ""} for i in range(40)]
    for _ in range(count):
        with pytest.raises(ApiError):
            api.create("pods", manifest, namespace="default")


def test_traces_are_trimmed_to_a_byte_budget_keeping_the_newest(sandbox, alice, settings):
    refused_creates(sandbox, alice, 30)
    traces = list(Trace.objects.filter(sandbox=sandbox).order_by("-id"))
    budget = sum(text_bytes(trace) for trace in traces[:10]) + 1
    settings.PODLAB_TRACE_HISTORY_BYTES = budget
    loops.trim_history()
    kept = list(Trace.objects.filter(sandbox=sandbox).order_by("-id"))
    assert [trace.pk for trace in kept] == [trace.pk for trace in traces[:10]]
    assert sum(text_bytes(trace) for trace in kept) <= budget


def test_the_count_bound_still_holds(sandbox, alice, monkeypatch):
    monkeypatch.setattr(loops, "TRACES_KEPT", 5)
    refused_creates(sandbox, alice, 8)
    newest = list(Trace.objects.filter(sandbox=sandbox).order_by("-id")[:5])
    loops.trim_history()
    assert list(Trace.objects.filter(sandbox=sandbox).order_by("-id")) == newest


def test_a_sandbox_quiet_since_the_last_trim_is_not_scanned_again(sandbox, alice, settings):
    """Its traces are as the last trim left them: an idle sandbox costs the trim one
    index lookup."""
    refused_creates(sandbox, alice, 3)
    long_ago = timezone.now() - loops.TRACES_UNCHANGED_AFTER - dt.timedelta(seconds=1)
    Trace.objects.filter(sandbox=sandbox).update(created_at=long_ago)
    settings.PODLAB_TRACE_HISTORY_BYTES = 1
    loops.trim_history()
    assert Trace.objects.filter(sandbox=sandbox).count() > 3
