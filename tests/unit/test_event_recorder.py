"""The event recorder counts repeats on one Event, as client-go's does."""

from __future__ import annotations

import datetime as dt

from cluster.components.events import EventRecorder
from tests.unit.fakes import FakeClock, FakeClusterApi

START = dt.datetime(2026, 11, 26, 21, 41, tzinfo=dt.UTC)


def pod() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default", "uid": "u1"},
    }


def test_a_repeat_is_a_patch_of_the_same_event_with_no_refused_create():
    api, clock, memory = FakeClusterApi(), FakeClock(START), {}
    recorder = EventRecorder(api, clock, component="kubelet", host="node-1", memory=memory)
    recorder.warning(pod(), "BackOff", "Back-off restarting failed container")
    clock.advance(10)
    EventRecorder(api, clock, component="kubelet", memory=memory).warning(
        pod(), "BackOff", "Back-off restarting failed container"
    )
    [event] = api.events("BackOff")
    assert event["count"] == 2
    assert event["lastTimestamp"] == "2026-11-26T21:41:10Z"
    assert [call[0] for call in api.calls if call[1] == "events"] == ["create", "patch"]


def test_a_recorder_without_memory_recovers_from_already_exists():
    api, clock = FakeClusterApi(), FakeClock(START)
    EventRecorder(api, clock, component="kubelet").normal(pod(), "Pulled", "already present")
    EventRecorder(api, clock, component="kubelet").normal(pod(), "Pulled", "already present")
    [event] = api.events("Pulled")
    assert event["count"] == 2


def test_the_same_occurrence_told_again_without_memory_is_counted_once():
    api, clock = FakeClusterApi(), FakeClock(START)
    EventRecorder(api, clock, component="kubelet").normal(pod(), "Started", "app", occurrence="c0")
    clock.advance(1)  # the tick that told it was killed before its memory was saved
    EventRecorder(api, clock, component="kubelet").normal(pod(), "Started", "app", occurrence="c0")
    [event] = api.events("Started")
    assert event["count"] == 1


def test_another_occurrence_is_counted_with_or_without_memory():
    api, clock, memory = FakeClusterApi(), FakeClock(START), {}
    recorder = EventRecorder(api, clock, component="kubelet", memory=memory)
    recorder.normal(pod(), "Started", "app", occurrence="c0")
    recorder.normal(pod(), "Started", "app", occurrence="c1")
    EventRecorder(api, clock, component="kubelet").normal(pod(), "Started", "app", occurrence="c2")
    [event] = api.events("Started")
    assert event["count"] == 3


def test_the_same_event_about_two_parts_of_an_object_is_two_events():
    api, clock = FakeClusterApi(), FakeClock(START)
    recorder = EventRecorder(api, clock, component="kubelet")
    for part in ("spec.containers{a}", "spec.containers{b}", "spec.containers{a}"):
        recorder.normal(pod(), "Pulling", 'Pulling image "nginx"', field_path=part)
    counts = {e["involvedObject"]["fieldPath"]: e["count"] for e in api.events("Pulling")}
    assert counts == {"spec.containers{a}": 2, "spec.containers{b}": 1}
