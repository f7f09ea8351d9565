"""The lesson step machine and its conditions, on a cluster of plain lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from lessons.conditions import CallSeen, evaluate, field_value
from lessons.engine import (
    DONE,
    FAILED,
    RUNNING,
    TIMED_OUT,
    ActFailed,
    Inputs,
    Progress,
    advance,
)

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@dataclass
class Cluster:
    """The objects and calls a lesson sees; acts done are kept, and may change objects."""

    objects: dict[tuple[str, str, str], dict] = field(default_factory=dict)
    calls: list[CallSeen] = field(default_factory=list)
    acts: list[tuple[dict, bool]] = field(default_factory=list)
    refuse: str = ""

    def put(self, resource: str, obj: dict, namespace: str = "default") -> None:
        self.objects[(resource, namespace, obj["metadata"]["name"])] = obj

    def call(
        self,
        actor: str,
        verb: str,
        resource: str,
        name: str,
        code: int = 201,
        *,
        user_agent: str = "",
        subresource: str = "",
    ) -> None:
        call_id = len(self.calls) + 1
        self.calls.append(
            CallSeen(call_id, actor, verb, resource, subresource, "default", name, code, user_agent)
        )

    # ClusterView
    def get(self, resource: str, name: str, namespace: str) -> dict | None:
        return self.objects.get((resource, namespace, name))

    def list(self, resource: str, namespace: str, labels: Mapping[str, str]) -> list[dict]:
        return [
            obj
            for (kind, ns, _), obj in self.objects.items()
            if kind == resource
            and ns == namespace
            and labels.items() <= (obj["metadata"].get("labels") or {}).items()
        ]

    def calls_since(self, after_id: int) -> list[CallSeen]:
        return [call for call in self.calls if call.id > after_id]

    # Doer
    def act(self, act: Mapping, *, as_student: bool) -> None:
        if self.refuse:
            raise ActFailed(self.refuse)
        self.acts.append((dict(act), as_student))
        if "apply" in act and as_student:
            self.put("pods", {**act["apply"], "status": {"phase": "Pending"}})
            self.call("alice", "create", "pods", act["apply"]["metadata"]["name"])

    @property
    def newest(self) -> int:
        return len(self.calls)


def pod(name: str, phase: str = "Pending", **extra) -> dict:
    return {
        "metadata": {"name": name, **extra.pop("metadata", {})},
        "spec": {"containers": [{"name": name, "image": "nginx"}], **extra.pop("spec", {})},
        "status": {"phase": phase, **extra},
    }


def run(lesson, progress, cluster, *, at=0.0, headless=False, **inputs):
    return advance(
        lesson,
        progress,
        cluster,
        cluster,
        now=T0 + dt.timedelta(seconds=at),
        newest_call=cluster.newest,
        inputs=Inputs(student="alice", **inputs),
        headless=headless,
    )


def lesson(*steps: dict) -> dict:
    return {"steps": list(steps)}


# -- conditions ----------------------------------------------------------------------------


def test_a_field_path_reaches_into_lists_and_says_none_where_it_leads_nowhere():
    web = pod("web")
    assert field_value(web, "spec.containers[0].image") == "nginx"
    assert field_value(web, "spec.containers[3].image") is None
    assert field_value(web, "spec.nodeName") is None
    assert field_value(web, "metadata.name.first") is None


def test_an_object_condition_says_what_it_sees():
    cluster = Cluster()
    want = {"object": {"resource": "pods", "name": "web", "phase": "Running"}}
    assert evaluate(want, cluster).seen == "no pod web"
    cluster.put("pods", pod("web"))
    verdict = evaluate(want, cluster)
    assert (verdict.met, verdict.seen) == (False, "web is Pending, not Running")
    cluster.put("pods", pod("web", "Running"))
    assert evaluate(want, cluster).met


def test_a_count_leaves_out_objects_being_deleted_and_other_labels():
    cluster = Cluster()
    cluster.put("pods", pod("a", "Running", metadata={"labels": {"app": "hello"}}))
    cluster.put(
        "pods",
        pod("b", "Running", metadata={"labels": {"app": "hello"}, "deletionTimestamp": "x"}),
    )
    cluster.put("pods", pod("c", "Running", metadata={"labels": {"app": "other"}}))
    want = {"objects": {"resource": "pods", "labels": {"app": "hello"}, "phase": "Running"}}
    verdict = evaluate({"objects": {**want["objects"], "count": 2}}, cluster)
    assert (verdict.met, verdict.seen) == (False, "1 pod Running of 1")
    assert evaluate({"objects": {**want["objects"], "count": {"min": 1}}}, cluster).met
    assert not evaluate({"objects": {**want["objects"], "count": {"max": 0}}}, cluster).met


def test_a_status_condition_and_an_event_and_all_of_them():
    cluster = Cluster()
    scheduled = {"type": "PodScheduled", "status": "True"}
    cluster.put("pods", pod("web", conditions=[{"type": "PodScheduled", "status": "False"}]))
    want = {"object": {"resource": "pods", "name": "web", "condition": scheduled}}
    assert evaluate(want, cluster).seen == "web's PodScheduled is False, not True"
    event = {"event": {"reason": "Scheduled", "name": "web"}}
    assert evaluate(event, cluster).seen == "no Scheduled event yet"
    cluster.put(
        "events",
        {
            "metadata": {"name": "web.1"},
            "reason": "Scheduled",
            "involvedObject": {"kind": "Pod", "name": "web"},
            "message": "Successfully assigned default/web to node-2",
        },
    )
    assert evaluate(event, cluster).met
    assert not evaluate({"all": [event, want]}, cluster).met


def test_a_trace_condition_counts_only_the_calls_since_the_step_began():
    cluster = Cluster()
    cluster.call("scheduler", "list", "pods", "", 200)
    want = {"trace": {"actor": "scheduler", "verb": "list", "resource": "pods"}}
    assert evaluate(want, cluster, since_call=0).met
    verdict = evaluate(want, cluster, since_call=1)
    assert (verdict.met, verdict.seen) == (False, "scheduler's list of pods not yet")


# -- the step machine ----------------------------------------------------------------------

NARRATE = {"narrate": "Nodes are machines."}
WEB = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web"},
    "spec": {"containers": [{"name": "web", "image": "nginx"}]},
}
DO_CREATE = {
    "do": {
        "say": "Create web",
        "expect": {
            "verb": "create",
            "resource": "pods",
            "name": "web",
            "fields": {"spec.containers[0].image": "nginx"},
        },
        "autoplay": {"apply": WEB},
    }
}
RUNNING_WEB = {
    "wait_for": {
        "condition": {"object": {"resource": "pods", "name": "web", "phase": "Running"}},
        "timeout": 30,
        "hint": "Is the kubelet running?",
    }
}


def test_narration_waits_for_next_and_one_next_passes_one_step():
    story = lesson(NARRATE, NARRATE, NARRATE)
    progress = run(story, Progress(), Cluster())
    assert (progress.step, progress.state) == (0, RUNNING)
    progress = run(story, progress, Cluster(), next_from_student=True)
    assert progress.step == 1


def test_an_act_is_done_once_and_the_run_goes_on_to_the_next_wait():
    cluster = Cluster()
    story = lesson({"act": {"cordon": "node-1"}}, {"act": {"uncordon": "node-1"}}, NARRATE)
    progress = run(story, Progress(), cluster)
    assert progress.step == 2
    progress = run(story, progress, cluster)
    assert cluster.acts == [({"cordon": "node-1"}, False), ({"uncordon": "node-1"}, False)]


def test_an_act_the_cluster_refuses_fails_the_run_and_says_why():
    cluster = Cluster(refuse='pods "web" not found')
    progress = run(
        lesson({"act": {"delete": {"resource": "pods", "name": "web"}}}), Progress(), cluster
    )
    assert (progress.state, progress.seen) == (FAILED, 'step 1: pods "web" not found')


def test_a_do_step_passes_on_the_students_own_call_with_the_fields_asked_for():
    cluster = Cluster()
    story = lesson(DO_CREATE, NARRATE)
    progress = run(story, Progress(), cluster)
    assert progress.seen == "waiting for a create of pods/web"
    cluster.put("pods", pod("web"))
    cluster.call("bob", "create", "pods", "web")  # someone else's call does not count
    assert run(story, progress, cluster).step == 0
    wrong = pod("web")
    wrong["spec"]["containers"][0]["image"] = "nginx:1.27"
    cluster.put("pods", wrong)
    cluster.call("alice", "create", "pods", "web")
    progress = run(story, progress, cluster)
    assert (progress.step, progress.seen) == (
        0,
        "web's spec.containers[0].image is 'nginx:1.27', not 'nginx'",
    )
    cluster.call("alice", "delete", "pods", "web", 200)
    del cluster.objects[("pods", "default", "web")]
    assert run(story, progress, cluster).step == 0
    cluster.put("pods", pod("web"))
    cluster.call("alice", "create", "pods", "web")
    assert run(story, progress, cluster).step == 1


def test_a_do_step_counts_a_call_made_while_the_step_before_was_read():
    cluster = Cluster()
    story = lesson(NARRATE, DO_CREATE, NARRATE)
    progress = run(story, Progress(), cluster)
    cluster.put("pods", pod("web"))
    cluster.call("alice", "create", "pods", "web")
    progress = run(story, progress, cluster, next_from_student=True)
    assert progress.step == 2


def test_a_wait_times_out_shows_its_hint_and_may_still_pass():
    cluster = Cluster()
    cluster.put("pods", pod("web"))
    story = lesson(RUNNING_WEB, NARRATE)
    progress = run(story, Progress(), cluster, at=0)
    assert (progress.state, progress.seen) == (RUNNING, "web is Pending, not Running")
    progress = run(story, progress, cluster, at=31)
    assert progress.state == TIMED_OUT
    cluster.put("pods", pod("web", "Running"))
    progress = run(story, progress, cluster, at=40)
    assert (progress.step, progress.state) == (1, RUNNING)


def test_headless_a_timeout_fails_the_run_with_what_was_seen():
    cluster = Cluster()
    cluster.put("pods", pod("web"))
    progress = run(lesson(RUNNING_WEB), Progress(), cluster, at=0, headless=True)
    progress = run(lesson(RUNNING_WEB), progress, cluster, at=31, headless=True)
    assert progress.state == FAILED
    assert progress.seen == "step 1: timed out after 30 s: web is Pending, not Running"


def test_headless_the_autoplay_is_done_as_the_student_and_the_run_goes_to_the_end():
    cluster = Cluster()
    story = lesson(
        NARRATE, DO_CREATE, {"ask": {"question": "?", "choices": ["a", "b"], "answer": 1}}
    )
    progress = run(story, Progress(), cluster, headless=True)
    assert cluster.acts == [({"apply": WEB}, True)]
    progress = run(story, progress, cluster, headless=True)
    assert progress.state == DONE
    assert progress.results["3"] == {"answer": 1, "revealed": True, "right": True}


KUBECTL = "kubectl/v1.32.4 (linux/amd64) kubernetes/abc"
RUN_WEB = {"kubectl": {"say": "Run it.", "command": "kubectl run web --image=nginx"}}


def test_a_kubectl_step_passes_on_the_student_s_kubectl_call_that_succeeds():
    cluster = Cluster()
    story = lesson(RUN_WEB, NARRATE)
    progress = run(story, Progress(), cluster)
    assert progress.seen == "waiting for a create of pods/web from kubectl"
    cluster.call("alice", "create", "pods", "web")  # a click on the page: not kubectl
    cluster.call("bob", "create", "pods", "web", user_agent=KUBECTL)  # not the student's
    cluster.call("alice", "create", "pods", "db", user_agent=KUBECTL)  # another pod
    cluster.call("alice", "create", "pods", "web", 409, user_agent=KUBECTL)
    progress = run(story, progress, cluster)
    assert (progress.step, progress.seen) == (
        0,
        "your command reached the API server, which answered 409",
    )
    cluster.call("alice", "create", "pods", "web", user_agent="podlab-command-box")
    assert run(story, progress, cluster).step == 1


@pytest.mark.parametrize(
    ("command", "call"),
    [
        ("kubectl scale deploy web --replicas=3", ("patch", "deployments", "web", "scale")),
        ("kubectl get pods", ("list", "pods", "", "")),
        ("kubectl logs web", ("get", "pods", "web", "log")),
        ("kubectl rollout undo deployment/web", ("patch", "deployments", "web", "")),
    ],
)
def test_a_kubectl_step_waits_for_the_call_its_command_makes(command, call):
    verb, resource, name, subresource = call
    cluster = Cluster()
    story = lesson({"kubectl": {"say": "Go.", "command": command}}, NARRATE)
    progress = run(story, Progress(), cluster)
    cluster.call("alice", "get", resource, name, 200, user_agent=KUBECTL)  # a read before
    if verb != "get":
        assert run(story, progress, cluster).step == 0
    cluster.call("alice", verb, resource, name, 200, user_agent=KUBECTL, subresource=subresource)
    assert run(story, progress, cluster).step == 1


def test_headless_a_kubectl_step_runs_its_command_as_the_student():
    cluster = Cluster()
    progress = run(lesson(RUN_WEB), Progress(), cluster, headless=True)
    assert cluster.acts == [({"kubectl": "kubectl run web --image=nginx"}, True)]
    cluster.call("alice", "create", "pods", "web", user_agent="podlab-command-box")
    assert run(lesson(RUN_WEB), progress, cluster, headless=True).state == DONE


def test_an_answer_is_kept_and_revealed_only_after_the_next_step():
    cluster = Cluster()
    question = {"id": "where", "ask": {"question": "Which node?", "pick_node": {"pod": "web"}}}
    story = lesson(question, RUNNING_WEB, NARRATE)
    cluster.put("pods", pod("web"))
    progress = run(story, Progress(), cluster)
    assert progress.seen == "waiting for an answer"
    progress = run(story, progress, cluster, answer=7)  # a node is named, not numbered
    assert progress.step == 0
    progress = run(story, progress, cluster, answer="node-2")
    assert progress.results["where"] == {"answer": "node-2", "revealed": False}
    cluster.put("pods", pod("web", "Running", spec={"nodeName": "node-1"}))
    progress = run(story, progress, cluster)
    assert progress.step == 2
    assert progress.results["where"] == {
        "answer": "node-2",
        "revealed": True,
        "node": "node-1",
        "right": False,
    }


def test_a_checkpoint_grades_each_check_and_headless_fails_on_a_miss():
    cluster = Cluster()
    cluster.put("pods", pod("web", "Running"))
    checkpoint = {
        "id": "graded",
        "checkpoint": {
            "checks": [
                {
                    "name": "web runs",
                    "condition": RUNNING_WEB["wait_for"]["condition"],
                    "points": 2,
                },
                {"name": "db runs", "condition": {"object": {"resource": "pods", "name": "db"}}},
            ]
        },
    }
    progress = run(lesson(checkpoint, NARRATE), Progress(), cluster)
    assert progress.step == 1
    assert progress.results["graded"]["points"] == 2
    assert progress.results["graded"]["of"] == 3
    headless = run(lesson(checkpoint), Progress(), cluster, headless=True)
    assert headless.state == FAILED
    assert headless.seen == "step 1: checkpoint failed: db runs (no pod db)"


def test_the_instructor_moves_a_waiting_student_on_but_never_skips_an_act():
    cluster = Cluster()
    story = lesson(
        {"pause_for_instructor": "Wait for the class."}, {"act": {"cordon": "node-1"}}, NARRATE
    )
    progress = run(story, Progress(), cluster, next_from_student=True)
    assert progress.step == 0  # a student cannot pass the instructor's pause
    progress = run(story, progress, cluster, next_from_instructor=True)
    assert progress.step == 2
    assert cluster.acts == [({"cordon": "node-1"}, False)]


def test_progress_survives_its_json():
    progress = Progress(step=3, answers={"where": "node-1"}, results={"where": {"revealed": True}})
    assert Progress.from_json(progress.as_json()) == progress


@pytest.mark.parametrize("state", [FAILED, DONE])
def test_a_finished_run_does_nothing_more(state):
    cluster = Cluster()
    progress = run(lesson({"act": {"cordon": "node-1"}}), Progress(state=state), cluster)
    assert cluster.acts == []
    assert progress.state == state
