"""The event recorder names Events as client-go does and counts repeats on one Event."""

from __future__ import annotations

import copy
import datetime as dt

from cluster.components.events import REMEMBERED_EVENTS, EventRecorder, unix_nanos
from cluster.resources.meta import dns1123_subdomain_errors
from tests.unit.fakes import FakeClock, FakeClusterApi

START = dt.datetime(2026, 11, 26, 21, 41, tzinfo=dt.UTC)


def pod(name: str = "web", uid: str = "u1", kind: str = "Pod") -> dict:
    return {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "default", "uid": uid},
    }


def event_calls(api: FakeClusterApi) -> list[str]:
    return [call[0] for call in api.calls if call[1] == "events"]


def listed_reasons(api: FakeClusterApi, name: str = "web", uid: str = "u1") -> list[str]:
    """The object's events as kubectl describe lists them (in name order)."""
    selector = f"involvedObject.name={name},involvedObject.uid={uid},involvedObject.kind=Pod"
    return [e["reason"] for e in api.list("events", field_selector=selector)["items"]]


def test_an_event_is_named_as_client_go_names_it_by_the_time_it_was_first_recorded():
    api, clock = FakeClusterApi(), FakeClock(START.replace(microsecond=250_001))
    EventRecorder(api, clock, component="kubelet").normal(pod(), "Pulled", "already present")
    [event] = api.events("Pulled")
    nanos = 1_795_729_260_250_001_000  # 2026-11-26T21:41:00.250001Z in Unix nanoseconds
    assert unix_nanos(clock.now()) == nanos
    assert event["metadata"]["name"] == f"web.{nanos:x}" == "web.18ebb63f7df9ee68"


def test_the_events_of_an_object_list_in_the_order_they_were_recorded():
    api, clock = FakeClusterApi(), FakeClock(START)  # a paused clock: one nanosecond
    scheduler = EventRecorder(api, clock, component="default-scheduler")
    scheduler.normal(pod(), "Scheduled", "Successfully assigned default/web to node-1")
    kubelet = EventRecorder(api, clock, component="kubelet", host="node-1")
    kubelet.normal(pod(), "Pulling", "pulling")  # another component
    kubelet.normal(pod(), "Pulled", "pulled")  # the same recorder
    clock.advance(0.000_001)  # a microsecond later: still the same second
    kubelet.normal(pod(), "Created", "created")
    # The next tick, the clock stepped back to where it stood by another worker's clock.
    clock.current = START
    EventRecorder(api, clock, component="kubelet", host="node-1").normal(pod(), "Started", "s")
    assert listed_reasons(api) == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    assert len({e["metadata"]["name"] for e in api.events()}) == 5
    assert {e["firstTimestamp"] for e in api.events()} == {"2026-11-26T21:41:00Z"}


def test_a_long_object_name_leaves_room_for_the_time_in_a_valid_name():
    api, clock = FakeClusterApi(), FakeClock(START)
    long_name = "a" * 235 + "-" + "b" * 17  # 253 characters, a "-" where it is cut
    EventRecorder(api, clock, component="kubelet").normal(pod(long_name), "Pulled", "here")
    [event] = api.events("Pulled")
    name = event["metadata"]["name"]
    assert name == f"{'a' * 235}.{unix_nanos(START):x}"
    assert len(name) == 252
    assert dns1123_subdomain_errors(name) == []


def test_a_repeat_is_a_patch_of_the_same_event_with_no_other_call():
    api, clock, memory = FakeClusterApi(), FakeClock(START), {}
    recorder = EventRecorder(api, clock, component="kubelet", host="node-1", memory=memory)
    recorder.warning(pod(), "BackOff", "Back-off restarting failed container")
    [first] = api.events("BackOff")
    clock.advance(10)
    api.calls.clear()
    EventRecorder(api, clock, component="kubelet", host="node-1", memory=memory).warning(
        pod(), "BackOff", "Back-off restarting failed container"
    )
    [event] = api.events("BackOff")
    assert event["count"] == 2
    assert event["lastTimestamp"] == "2026-11-26T21:41:10Z"
    assert event["metadata"]["name"] == first["metadata"]["name"]  # named by its first time
    assert event_calls(api) == ["patch"]


def test_a_new_object_costs_one_list_of_its_events_per_tick_however_many_it_gets():
    api, clock = FakeClusterApi(), FakeClock(START)
    recorder = EventRecorder(api, clock, component="kubelet", memory={})
    for reason in ("Pulling", "Pulled", "Created", "Started"):
        recorder.normal(pod(), reason, reason.lower())
    recorder.normal(pod("db", uid="u2"), "Pulling", "pulling")
    assert event_calls(api) == ["list", *["create"] * 4, "list", "create"]


def test_a_recorder_without_memory_counts_a_repeat_on_the_event_already_filed():
    api, clock = FakeClusterApi(), FakeClock(START)
    EventRecorder(api, clock, component="kubelet").normal(pod(), "Pulled", "already present")
    clock.advance(5)  # a restart: the memory of the first is gone
    EventRecorder(api, clock, component="kubelet").normal(pod(), "Pulled", "already present")
    [event] = api.events("Pulled")
    assert event["count"] == 2
    assert event_calls(api) == ["list", "create", "list", "patch"]


def test_a_tick_run_again_from_the_memory_before_it_files_no_second_event():
    api, clock, memory = FakeClusterApi(), FakeClock(START), {}
    EventRecorder(api, clock, component="kubelet", memory=memory).normal(pod(), "Pulling", "p")
    saved = copy.deepcopy(memory)
    EventRecorder(api, clock, component="kubelet", memory=memory).normal(pod(), "Pulled", "done")
    clock.advance(1)  # that tick was killed before its memory was saved: run it again
    EventRecorder(api, clock, component="kubelet", memory=saved).normal(pod(), "Pulled", "done")
    assert len(api.events()) == 2
    assert [e["count"] for e in api.events("Pulled")] == [2]  # told twice, no occurrence


def test_the_same_occurrence_told_again_without_memory_is_counted_once():
    api, clock = FakeClusterApi(), FakeClock(START)
    EventRecorder(api, clock, component="kubelet").normal(pod(), "Started", "app", occurrence="c0")
    clock.advance(1)  # the tick that told it was killed before its memory was saved
    EventRecorder(api, clock, component="kubelet").normal(pod(), "Started", "app", occurrence="c0")
    [event] = api.events("Started")
    assert event["count"] == 1


def test_a_repeat_the_memory_knows_is_counted_even_of_the_same_occurrence():
    api, clock, memory = FakeClusterApi(), FakeClock(START), {}
    for _ in range(2):  # a pull retried for one container: the reporter means to count it
        EventRecorder(api, clock, component="kubelet", memory=memory).normal(
            pod(), "Pulling", "nginx", occurrence="c0"
        )
    [event] = api.events("Pulling")
    assert event["count"] == 2


def test_a_tick_run_again_from_the_memory_before_a_repeat_counts_it_once():
    api, clock, memory = FakeClusterApi(), FakeClock(START), {}
    EventRecorder(api, clock, component="kubelet", memory=memory).warning(pod(), "BackOff", "b")
    saved = copy.deepcopy(memory)
    for _ in range(2):  # the repeat's tick was killed before its memory was saved
        EventRecorder(api, clock, component="kubelet", memory=copy.deepcopy(saved)).warning(
            pod(), "BackOff", "b"
        )
    [event] = api.events("BackOff")
    assert event["count"] == 2  # the remembered count plus one, written twice


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


def test_two_objects_of_one_name_in_one_nanosecond_get_two_events_in_order():
    api, clock = FakeClusterApi(), FakeClock(START)
    EventRecorder(api, clock, component="deployment-controller").normal(
        pod("web", uid="d1", kind="Deployment"), "ScalingReplicaSet", "Scaled up to 1"
    )
    EventRecorder(api, clock, component="service-controller").normal(
        pod("web", uid="s1", kind="Service"), "Type", "ClusterIP"
    )
    names = [e["metadata"]["name"] for e in api.events()]
    assert names == [f"web.{unix_nanos(START):x}", f"web.{unix_nanos(START) + 1:x}"]
    assert event_calls(api) == ["list", "create", "list", "create"]  # no refused create


def test_two_long_names_cut_alike_in_one_nanosecond_get_two_events():
    api, clock = FakeClusterApi(), FakeClock(START)
    for last, component in (("x", "kubelet"), ("y", "default-scheduler")):
        recorder = EventRecorder(api, clock, component=component)
        recorder.normal(pod("a" * 252 + last, uid=last), "Pulled", "here")
    names = [e["metadata"]["name"] for e in api.events()]
    assert names == [f"{'a' * 236}.{unix_nanos(START) + n:x}" for n in (0, 1)]
    # The second did not list the first (another name): its first create was refused.
    assert event_calls(api) == ["list", "create", "list", "create", "create"]


def test_a_repeat_of_an_event_deleted_meanwhile_is_filed_afresh():
    api, clock, memory = FakeClusterApi(), FakeClock(START), {}
    EventRecorder(api, clock, component="kubelet", memory=memory).normal(pod(), "Pulled", "here")
    [event] = api.events()
    api.delete("events", event["metadata"]["name"], namespace="default")
    EventRecorder(api, clock, component="kubelet", memory=memory).normal(pod(), "Pulled", "here")
    assert api.events() == []  # lost, as upstream's recorder loses it
    EventRecorder(api, clock, component="kubelet", memory=memory).normal(pod(), "Pulled", "here")
    [event] = api.events()
    assert event["count"] == 1


def test_the_memory_stays_small_and_forgets_the_shape_an_older_podlab_saved():
    api, clock = FakeClusterApi(), FakeClock(START)
    memory: dict = {"default/web.0123456789abcdef": 3}
    recorder = EventRecorder(api, clock, component="kubelet", memory=memory)
    for number in range(REMEMBERED_EVENTS + 1):
        recorder.normal(pod(), "Pulled", f"image {number}")
    assert len(memory) == REMEMBERED_EVENTS
    assert "default/web.0123456789abcdef" not in memory


def test_an_event_an_older_podlab_named_by_a_hash_does_not_move_the_time_of_a_name():
    api, clock = FakeClusterApi(), FakeClock(START)
    old = EventRecorder(api, clock, component="kubelet")._event(pod(), "Normal", "Old", "o", "")
    old["metadata"]["name"] = "web.ffffffffffffffff"
    api.put("events", old)
    EventRecorder(api, clock, component="kubelet").normal(pod(), "Pulled", "here")
    [event] = api.events("Pulled")
    assert event["metadata"]["name"] == f"web.{unix_nanos(START):x}"
