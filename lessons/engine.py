"""The step machine of a lesson run: pure, as the scheduler and the kubelet are.

advance() takes the lesson, where the run stands (Progress), what the student or the
instructor did since (Inputs), a view of the cluster and a way to act on it, and moves
the run on as far as it can: acts are done at once, a checkpoint is graded, and the run
stops at the first step that waits (for "next", an answer, a call, a condition, the
instructor). The runner (lessons/runner.py) calls it whenever something may have
changed, saves the progress, and tells the page.

Headless (`lesson run`), nobody presses anything: narration and pauses pass, a question
is answered with its right choice, and a `do` step's autoplay is done in the student's
place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Protocol

from cluster.apiserver.authn import COMMAND_BOX_USER_AGENT
from kubeapi.command_box.expectations import expected_call
from lessons.conditions import (
    CallSeen,
    ClusterView,
    call_matches,
    describe_call,
    evaluate,
    state_mismatch,
)
from lessons.validation import STEP_KINDS


class ActFailed(Exception):
    """An act the cluster refused (an object that is not there, a bad manifest)."""


class Doer(Protocol):
    def act(self, act: Mapping, *, as_student: bool) -> None:
        """Do it through the API server (or as a fault), as the lesson or, for a `do`
        step's autoplay, as the student. Raises ActFailed."""
        ...


# Where a run stands.
RUNNING = "running"  # at a step that waits, and may still pass
TIMED_OUT = "timed-out"  # a wait_for past its timeout: its hint is shown, it still may pass
FAILED = "failed"  # an act refused, or (headless) a wait timed out or a checkpoint failed
DONE = "done"


@dataclass
class Progress:
    step: int = 0
    state: str = RUNNING
    started_at: str = ""  # sandbox time the current step began (ISO 8601)
    since_call: int = 0  # the newest call's trace id when it began
    since_action: int = 0  # ... when the last act or do step ended: a do step counts
    # calls from there, so a student who acts while reading the step before is not stuck
    seen: str = ""  # what the waiting step sees, or why the run failed
    answers: dict[str, object] = field(default_factory=dict)  # by step key
    results: dict[str, dict] = field(default_factory=dict)  # by step key: graded, revealed

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping) -> Progress:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


@dataclass(frozen=True)
class Inputs:
    """What people did since the last advance."""

    next_from_student: bool = False  # "next" on a narrate step
    next_from_instructor: bool = False  # past a pause_for_instructor (or any wait)
    answer: object = None  # to the current ask step
    student: str = ""  # the student's user name: their calls are the ones a do step counts


NO_INPUTS = Inputs()


def step_kind(step: Mapping) -> str:
    return next(kind for kind in STEP_KINDS if kind in step)


def step_key(lesson: Mapping, index: int) -> str:
    """A step's key in answers and results: its id, or its number from 1."""
    return lesson["steps"][index].get("id") or str(index + 1)


def advance(
    lesson: Mapping,
    progress: Progress,
    view: ClusterView,
    doer: Doer,
    *,
    now: dt.datetime,
    newest_call: int,
    inputs: Inputs = NO_INPUTS,
    headless: bool = False,
) -> Progress:
    """Move the run on as far as it goes now (the progress is changed in place too)."""
    steps = lesson["steps"]
    if not progress.started_at:
        progress.started_at = now.isoformat()
    while progress.state not in (FAILED, DONE):
        if progress.step >= len(steps):
            _reveal_answers(lesson, progress, view, ended=True)
            progress.state, progress.seen = DONE, ""
            break
        step = steps[progress.step]
        kind = step_kind(step)
        body = step[kind]
        key = step_key(lesson, progress.step)
        if inputs.next_from_instructor and kind != "act":
            passed = True  # the instructor moves the class on, whatever the step waits for
        elif kind in ("narrate", "pause_for_instructor"):
            passed = headless or (kind == "narrate" and inputs.next_from_student)
        elif kind == "act":
            try:
                doer.act(body, as_student=False)
            except ActFailed as refused:
                progress.state, progress.seen = FAILED, f"step {progress.step + 1}: {refused}"
                break
            progress.since_action = newest_call
            passed = True
        elif kind == "do":
            passed = _do_step(body, progress, view, doer, inputs, headless, newest_call)
            if progress.state == FAILED:
                break
        elif kind == "kubectl":
            passed = _kubectl_step(body, progress, view, doer, inputs, headless, newest_call)
            if progress.state == FAILED:
                break
        elif kind == "wait_for":
            passed = _wait_step(body, progress, view, now, headless)
        elif kind == "ask":
            passed = _ask_step(body, key, progress, inputs, headless)
        else:  # checkpoint
            passed = _checkpoint(body, key, progress, view, headless)
        _reveal_answers(lesson, progress, view)
        if not passed:
            break
        inputs = Inputs(student=inputs.student)  # one press of "next" passes one step
        progress.step += 1
        progress.state, progress.seen = RUNNING, ""
        progress.started_at, progress.since_call = now.isoformat(), newest_call
    return progress


def _do_step(body, progress, view, doer, inputs, headless, newest_call) -> bool:
    expect = body["expect"]
    if headless and "autoplay" in body and progress.seen != "autoplayed":
        try:
            doer.act(body["autoplay"], as_student=True)
        except ActFailed as refused:
            progress.state, progress.seen = FAILED, f"step {progress.step + 1}: {refused}"
            return False
        progress.seen = "autoplayed"
        return False  # its call is seen at the next advance, as a student's would be
    calls = [
        call
        for call in view.calls_since(progress.since_action)
        if call.code < 400
        and call_matches(call, expect)
        and (headless or call.actor == inputs.student)
    ]
    for call in calls:
        obj = view.get(call.resource, call.name, call.namespace or "default")
        mismatch = state_mismatch(obj, {"fields": expect.get("fields")}) if obj else "gone"
        if mismatch is None:
            progress.since_action = newest_call
            return True
        progress.seen = mismatch  # what the student did differs from what was asked
    if not calls:
        progress.seen = f"waiting for {describe_call(expect)}"
    return False


def _kubectl_step(body, progress, view, doer, inputs, headless, newest_call) -> bool:
    """Done when the command's call, sent by kubectl (a terminal's, or the page's command
    box), reaches the API server and is answered with success."""
    if headless and progress.seen != "autoplayed":
        try:
            doer.act({"kubectl": body["command"]}, as_student=True)
        except ActFailed as refused:
            progress.state, progress.seen = FAILED, f"step {progress.step + 1}: {refused}"
            return False
        progress.seen = "autoplayed"
        return False  # its call is seen at the next advance, as a student's would be
    expected = expected_call(body["command"])
    calls = [
        call
        for call in view.calls_since(progress.since_action)
        if _sent_by_kubectl(call)
        and (headless or call.actor == inputs.student)
        and call.verb in expected.verbs
        and call.resource == expected.resource
        and call.subresource == expected.subresource
        and call.name == (expected.name or call.name)
        and call.namespace == expected.namespace
    ]
    if any(call.code < 400 for call in calls):
        progress.since_action = newest_call
        return True
    if calls:
        refused = calls[-1]
        progress.seen = f"your command reached the API server, which answered {refused.code}"
    else:
        progress.seen = f"waiting for {expected.describe()} from kubectl"
    return False


def _sent_by_kubectl(call: CallSeen) -> bool:
    return call.user_agent.startswith("kubectl/") or call.user_agent == COMMAND_BOX_USER_AGENT


def _wait_step(body, progress, view, now, headless) -> bool:
    verdict = evaluate(body["condition"], view, since_call=progress.since_call)
    if verdict.met:
        return True
    progress.seen = verdict.seen
    timeout = body.get("timeout")
    started = dt.datetime.fromisoformat(progress.started_at)
    if timeout is not None and (now - started).total_seconds() > timeout:
        progress.state = FAILED if headless else TIMED_OUT
        if headless:
            progress.seen = (
                f"step {progress.step + 1}: timed out after {timeout:g} s: {verdict.seen}"
            )
    return False


def _ask_step(body, key, progress, inputs, headless) -> bool:
    if headless:
        answer = body.get("answer", 0) if "choices" in body else None
    elif inputs.answer is not None and _valid_answer(body, inputs.answer):
        answer = inputs.answer
    else:
        progress.seen = "waiting for an answer"
        return False
    progress.answers[key] = answer
    result: dict = {"answer": answer, "revealed": False}
    if "choices" in body and "answer" in body:
        result["right"] = answer == body["answer"]
    progress.results[key] = result
    return True


def _valid_answer(body: Mapping, answer: object) -> bool:
    if "choices" in body:
        return isinstance(answer, int) and 0 <= answer < len(body["choices"])
    return isinstance(answer, str) and 0 < len(answer) <= 63  # a node's name


def _checkpoint(body, key, progress, view, headless) -> bool:
    checks = []
    for check in body["checks"]:
        verdict = evaluate(check["condition"], view, since_call=0)
        checks.append(
            {
                "name": check["name"],
                "passed": verdict.met,
                "seen": verdict.seen,
                "points": check.get("points", 1) if verdict.met else 0,
            }
        )
    progress.results[key] = {
        "checks": checks,
        "points": sum(c["points"] for c in checks),
        "of": sum(check.get("points", 1) for check in body["checks"]),
    }
    failed = [c for c in checks if not c["passed"]]
    if headless and failed:
        progress.state = FAILED
        progress.seen = f"step {progress.step + 1}: checkpoint failed: " + "; ".join(
            f"{c['name']} ({c['seen']})" for c in failed
        )
        return False
    return True


def _reveal_answers(
    lesson: Mapping, progress: Progress, view: ClusterView, *, ended: bool = False
) -> None:
    """An answer is revealed once the step after its question is done (or the lesson
    is): for "which node?", the pod is bound by then, and whether the student was right
    is known."""
    for index in range(len(lesson["steps"]) if ended else progress.step - 1):
        step = lesson["steps"][index]
        result = progress.results.get(step_key(lesson, index))
        if step_kind(step) != "ask" or result is None or result["revealed"]:
            continue
        pick = step["ask"].get("pick_node")
        if pick is not None:
            pod = view.get("pods", pick["pod"], pick.get("namespace", "default")) or {}
            node = pod.get("spec", {}).get("nodeName")
            if node is None:
                continue  # not bound yet: revealed at a later advance
            result["node"] = node
            result["right"] = result["answer"] == node if result["answer"] is not None else None
        result["revealed"] = True
