"""Benchmark: a class of 30 runs lesson 1 at once, its instructor's dashboard open.

Run `.venv/bin/python bench/classroom.py`. It makes sure Redis and PostgreSQL answer,
migrates a throwaway database, starts Daphne, a Celery worker (concurrency 2) and beat
(bench/stack.py), makes an instructor's class of lesson 1 and 30 students who join it,
each with a sandbox of their own, and prints `BENCH <name> <value> <unit>` lines. Then
it does it all again with a second worker process beside the first.

Figures (names ending in _two_workers for the second run):
  class30_step_p50, class30_step_p99   ms: a step's condition met -> the student's page
      shows the next step. Target: p99 under 1 s.
  dashboard_p99                        ms: a student's page shows a new step -> the
      instructor's dashboard has it.
  peak_rss_web_mib, peak_rss_worker_mib, peak_rss_beat_mib   each process's peak
      (the worker: its main process and prefork children).
  peak_rss_worker2_mib                 the second worker (second run only).

How it looks:
- Each student is a websocket on their sandbox's live channel through Daphne, as the
  page is. It keeps its own copy of the cluster from the snapshot and the pushed changes
  and traces, and evaluates the step's condition on it with the lesson's own code
  (lessons.conditions). A step's condition is met at the batch that makes it hold on
  the page. The step is shown at the lesson push that names the next step. This is
  measured for the waits (wait_for) and for the student's own actions (do: their create
  arriving). Narrations and answers go at the student's pace, so they are not counted.
  A lesson push can overtake the batch that met its condition (they leave from
  different worker processes): such a step is left out, as its latency is under 0.
- Students press Next and answer as the page's requests do: runner.advance_run with the
  press, in this process. A do step's action is made as the student (the page's create
  form's call). Each student thinks for THINK_SECONDS before each press, as people do.
- The dashboard is the instructor's socket on the class's channel through Daphne. On
  each push it fetches the progress partial over HTTP, at most every 0.5 s, as the page
  does. A step's dashboard latency runs from the student's push to the end of the first
  fetch that began after it.
- The sandboxes run at the clock speed lesson 1 asks for (x1): a real class.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import (  # noqa: E402
    VENV_BIN,
    Stack,
    bench,
    log,
    percentile,
    run_bench,
    setup_django,
    wait_for,
)

STUDENTS = int(os.environ.get("BENCH_STUDENTS", "30"))
THINK_SECONDS = 1.0
LESSON_TIMEOUT = 600.0
DASHBOARD_THROTTLE_SECONDS = 0.5
LOOKED_AT = ("wait_for", "do")  # the steps whose latency is the cluster's, not the student's


def session_cookie(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


class PageCopy:
    """The cluster as one student's page knows it: lessons.conditions.ClusterView."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict] = {}
        self.calls: list = []

    def take_snapshot(self, snapshot: dict) -> None:
        self.objects.clear()
        for resource in ("pods", "nodes", "deployments", "replicasets", "replicationcontrollers"):
            for obj in snapshot.get(resource) or []:
                self._put(resource, obj)
        self.take_traces(snapshot.get("traces") or [])

    def take_changes(self, message: dict) -> None:
        from cluster.resources.keys import resource_of_key

        for event in message.get("events") or []:
            rt = resource_of_key(event["key"])
            obj = event.get("object") or {}
            if rt is None or not obj:
                continue
            if event["type"] == "DELETED":
                meta = obj.get("metadata", {})
                self.objects.pop((rt.name, meta.get("namespace", ""), meta.get("name")), None)
            else:
                self._put(rt.name, obj)
        self.take_traces(message.get("traces") or [])

    def take_traces(self, traces: list[dict]) -> None:
        from cluster.apiserver.authn import LIVE_PAGE_USER_AGENT
        from lessons.conditions import CallSeen

        for trace in traces:
            if trace.get("user_agent") == LIVE_PAGE_USER_AGENT and trace["verb"] in (
                "get",
                "list",
                "watch",
            ):
                continue
            self.calls.append(
                CallSeen(
                    trace["id"],
                    trace["actor"],
                    trace["verb"],
                    trace["resource"],
                    trace.get("subresource", ""),
                    trace.get("namespace", ""),
                    trace.get("name", ""),
                    trace["code"],
                )
            )

    def _put(self, resource: str, obj: dict) -> None:
        meta = obj.get("metadata", {})
        self.objects[(resource, meta.get("namespace", ""), meta.get("name"))] = obj

    # ClusterView
    def get(self, resource: str, name: str, namespace: str) -> dict | None:
        return self.objects.get((resource, namespace, name)) or self.objects.get(
            (resource, "", name)
        )

    def list(self, resource: str, namespace: str, labels: Mapping[str, str]) -> list[dict]:
        return [
            obj
            for (kind, ns, _), obj in self.objects.items()
            if kind == resource
            and ns == namespace
            and labels.items() <= (obj["metadata"].get("labels") or {}).items()
        ]

    def calls_since(self, after_id: int) -> list:
        return [call for call in self.calls if call.id > after_id]


class Student(threading.Thread):
    """One student: their page's socket, and their presses."""

    def __init__(self, stack: Stack, run, lesson: dict, shown: list, results: list) -> None:
        super().__init__(name=f"student-{run.student.get_username()}", daemon=True)
        self.run_id, self.sandbox_id = run.pk, run.sandbox_id
        self.student = run.student
        self.lesson = lesson
        self.url = f"ws://127.0.0.1:{stack.port}/ws/sandboxes/{run.sandbox_id}/"
        self.origin = f"http://127.0.0.1:{stack.port}"
        self.cookie = session_cookie(run.student)
        self.page = PageCopy()
        self.step, self.step_since_call = -1, 0
        self.met_at: float | None = None
        self.shown = shown  # (sandbox id, step, when) of every lesson push, for the dashboard
        self.results = results  # (step kind, ms) of every step whose condition was looked at
        self.done = threading.Event()
        self.error = ""

    def run(self) -> None:
        import websocket
        from django.db import connections

        try:
            # Thirty pages opening at once: a snapshot may take a while to come.
            ws = websocket.create_connection(
                self.url, cookie=self.cookie, origin=self.origin, timeout=60
            )
            self.receive(json.loads(ws.recv()), time.monotonic())  # the snapshot
            ws.settimeout(1.0)
            # Where the lesson stands, as the page's lesson panel reads it on load (its
            # first steps may have passed before this socket opened).
            from lessons.models import LessonRun

            progress = LessonRun.objects.get(pk=self.run_id).progress
            self.lesson_moved({"run": self.run_id, **progress}, time.monotonic(), shown=False)
            deadline = time.monotonic() + LESSON_TIMEOUT
            while not self.done.is_set() and time.monotonic() < deadline:
                try:
                    raw = ws.recv()
                except websocket.WebSocketTimeoutException:
                    continue
                self.receive(json.loads(raw), time.monotonic())
            ws.close()
        except Exception as error:  # reported by the benchmark, which fails on it
            self.error = f"{type(error).__name__}: {error}"
            self.done.set()
        finally:
            connections.close_all()

    def receive(self, message: dict, now: float) -> None:
        kind = message.get("type")
        if kind == "snapshot":
            self.page.take_snapshot(message)
        elif kind == "changes":
            self.page.take_changes(message)
            self.look(now)
        elif kind == "lesson" and message.get("run") == self.run_id:
            self.lesson_moved(message, now)

    def look(self, now: float) -> None:
        """Does the step's condition hold on the page now? (Once per step.)"""
        from lessons import engine
        from lessons.conditions import call_matches, evaluate

        if self.met_at is not None or not 0 <= self.step < len(self.lesson["steps"]):
            return
        step = self.lesson["steps"][self.step]
        kind = engine.step_kind(step)
        if kind == "wait_for":
            met = evaluate(step[kind]["condition"], self.page, since_call=self.step_since_call).met
        elif kind == "do":
            expect = step[kind]["expect"]
            met = any(
                call.code < 400
                and call.actor == self.student.get_username()
                and call_matches(call, expect)
                for call in self.page.calls_since(self.step_since_call)
            )
        else:
            return
        if met:
            self.met_at = now

    def lesson_moved(self, note: dict, now: float, *, shown: bool = True) -> None:
        from lessons import engine

        step, state = note["step"], note["state"]
        if step == self.step:
            return
        if shown:  # a push the page got (not what it read when it opened)
            self.shown.append((self.sandbox_id, step, now))
        if self.met_at is not None and self.step >= 0:
            kind = engine.step_kind(self.lesson["steps"][self.step])
            self.results.append((kind, (now - self.met_at) * 1000))
        self.step, self.met_at = step, None
        self.step_since_call = max((call.id for call in self.page.calls), default=0)
        if state in (engine.DONE, engine.FAILED):
            self.error = "" if state == engine.DONE else f"the lesson failed: {note.get('seen')}"
            self.done.set()
            return
        self.look(now)  # what the page already shows may meet it
        threading.Thread(target=self.press, args=(step,), daemon=True).start()

    def press(self, step_index: int) -> None:
        """What the student does at a step that waits for them, after thinking."""
        from django.db import connections

        from lessons import engine, runner

        step = self.lesson["steps"][step_index]
        kind = engine.step_kind(step)
        try:
            time.sleep(THINK_SECONDS)
            if kind == "narrate":
                inputs = engine.Inputs(next_from_student=True)
            elif kind == "ask":
                ask = step[kind]
                inputs = engine.Inputs(
                    answer=ask.get("answer", 0) if "choices" in ask else "node-1"
                )
            elif kind == "do":
                from cluster.models import Sandbox

                sandbox = Sandbox.objects.get(pk=self.sandbox_id)
                runner.ApiDoer(sandbox, self.student).act(step[kind]["autoplay"], as_student=True)
                return
            else:
                return
            runner.advance_run(self.run_id, inputs, wait=5)
        except Exception as error:
            self.error = f"{type(error).__name__} at step {step_index + 1}: {error}"
            self.done.set()
        finally:
            connections.close_all()


class Dashboard(threading.Thread):
    """The instructor's dashboard: its socket, and the fetches it makes on each push."""

    def __init__(self, stack: Stack, class_lesson, instructor) -> None:
        super().__init__(name="dashboard", daemon=True)
        self.url = f"ws://127.0.0.1:{stack.port}/ws/classes/{class_lesson.pk}/"
        self.progress_url = f"http://127.0.0.1:{stack.port}/classes/{class_lesson.pk}/progress/"
        self.origin = f"http://127.0.0.1:{stack.port}"
        self.cookie = session_cookie(instructor)
        self.fetches: list[tuple[float, float]] = []  # (began, ended)
        self.stopping = threading.Event()
        self.error = ""

    def run(self) -> None:
        import websocket

        ws = websocket.create_connection(self.url, cookie=self.cookie, origin=self.origin)
        ws.settimeout(0.2)
        pending = False
        last_fetch = 0.0
        while not self.stopping.is_set():
            try:
                message = json.loads(ws.recv())
                if message.get("type") == "error":
                    self.error = str(message)
                    return
                pending = pending or message.get("type") == "progress"
            except websocket.WebSocketTimeoutException:
                pass
            if pending and time.monotonic() - last_fetch >= DASHBOARD_THROTTLE_SECONDS:
                pending, last_fetch = False, time.monotonic()
                self.fetch()
        ws.close()

    def fetch(self) -> None:
        began = time.monotonic()
        request = urllib.request.Request(self.progress_url, headers={"Cookie": self.cookie})
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
        self.fetches.append((began, time.monotonic()))


def dashboard_latencies(shown: list[tuple[int, int, float]], fetches: list) -> list[float]:
    """For each step a student's page showed: until the dashboard's first fetch that began
    after it had ended."""
    latencies = []
    for _, _, at in shown:
        ended = next((end for began, end in fetches if began >= at), None)
        if ended is not None:
            latencies.append((ended - at) * 1000)
    return latencies


def class_of_students(label: str):
    """An instructor's class of lesson 1 and STUDENTS students in it, each with a run."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from lessons import classes
    from lessons.shipped_lessons import shipped_lessons

    users = get_user_model()
    instructor = users.objects.create_user(f"teacher-{label}")
    instructor.user_permissions.add(Permission.objects.get(codename="run_classes"))
    lesson = next(lesson for lesson in shipped_lessons() if lesson.slug.startswith("how-"))
    class_lesson = classes.class_create(instructor=instructor, name=label, lesson=lesson)
    runs = []
    for number in range(STUDENTS):
        student = users.objects.create_user(f"student-{label}-{number:02d}")
        runs.append(classes.class_join(class_lesson.code, student))
    log(f"{label}: {STUDENTS} students joined class {class_lesson.code}")
    return class_lesson, instructor, runs


def run_class(stack: Stack, label: str, suffix: str) -> None:
    from lessons import runner

    class_lesson, instructor, runs = class_of_students(label)
    lesson = runner.lesson_data(class_lesson.lesson.pk, class_lesson.lesson.text)
    shown: list = []
    results: list = []
    dashboard = Dashboard(stack, class_lesson, instructor)
    dashboard.start()
    students = [Student(stack, run, lesson, shown, results) for run in runs]
    started = time.monotonic()
    for student in students:
        student.start()
    for student in students:
        student.join(LESSON_TIMEOUT)
    dashboard.stopping.set()
    dashboard.join(10)
    took = time.monotonic() - started
    errors = [f"{s.name}: {s.error}" for s in students if s.error] + (
        [f"dashboard: {dashboard.error}"] if dashboard.error else []
    )
    if errors:
        raise RuntimeError("; ".join(errors[:5]))
    unfinished = [s.name for s in students if s.step < len(lesson["steps"])]
    if unfinished:
        raise RuntimeError(f"{len(unfinished)} students did not finish: {unfinished[:5]}")
    steps = [ms for _, ms in results]
    dashboard_ms = dashboard_latencies(shown, dashboard.fetches)
    per_kind = ", ".join(f"{k} {sum(1 for x, _ in results if x == k)}" for k in LOOKED_AT)
    log(
        f"{label}: {STUDENTS} students finished lesson 1 in {took:.1f}s; {len(steps)} steps"
        f" looked at ({per_kind}),"
        f" max {max(steps):.0f} ms; {len(dashboard.fetches)} dashboard fetches, the slowest"
        f" {max((e - b) * 1000 for b, e in dashboard.fetches):.0f} ms"
    )
    bench(f"class30_step_p50{suffix}", percentile(steps, 0.50), "ms")
    bench(f"class30_step_p99{suffix}", percentile(steps, 0.99), "ms")
    bench(f"dashboard_p99{suffix}", percentile(dashboard_ms, 0.99), "ms")


def second_worker(stack: Stack, logs: Path):
    """A second worker process on the same queue, as on a second machine."""
    import subprocess

    command = [
        str(VENV_BIN / "celery"), "-A", "sandbox", "worker", "--loglevel=INFO",
        "--concurrency=2", "--hostname", f"{stack.env['PODLAB_TASK_QUEUE']}-2@%h",
        "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    out = (logs / "worker2.log").open("w")
    process = subprocess.Popen(
        command, cwd=stack.env["PYTHONPATH"], env=stack.env, stdout=out,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    wait_for(lambda: " ready." in (logs / "worker2.log").read_text(), timeout=60, what="worker2")
    stack.sampler.watch("worker2", process.pid)
    return process


def run(env: dict[str, str], logs: Path) -> None:
    import signal

    setup_django(env)
    with Stack(env, logs) as stack:
        run_class(stack, "one-worker", "")
        for name in ("web", "worker", "beat"):
            bench(f"peak_rss_{name}_mib", stack.peak_rss_mib(name), "MiB")
        worker2 = second_worker(stack, logs)
        try:
            run_class(stack, "two-workers", "_two_workers")
            bench("peak_rss_worker2_mib", stack.peak_rss_mib("worker2"), "MiB")
        finally:
            os.killpg(worker2.pid, signal.SIGTERM)
            worker2.wait(30)
        stack.report()


def main() -> None:
    run_bench("classroom", run)


if __name__ == "__main__":
    main()
