"""Benchmark: many sandboxes on one server, busy and then left idle.

Run `.venv/bin/python bench/idle.py`. Like bench/pod_startup.py it makes sure
Redis and PostgreSQL answer, migrates a throwaway PostgreSQL database, starts
Daphne, a Celery worker (concurrency 2) and Celery beat on a queue and Channels
prefix of its own (bench/stack.py), makes 30 "lesson" sandboxes (control-plane,
node-1, node-2) in watch mode, and prints `BENCH <name> <value> <unit>`.

Figures:
  busy_30_sandboxes_startup_p99   ms, created -> Running: one nginx pod every 2 s
      in each of the 30 sandboxes for a minute (900 pods, the sandboxes' creates
      staggered over each 2 s), from the create call returning to the first look
      through the API server that sees status.phase Running. Target: at least as
      good as 422-499 ms (issue 11).
  idle_30_sandboxes_cpu_percent   percent of one core: the same 30 sandboxes left
      alone (nobody has one open, nothing created), after a settle period, the CPU
      time of the worker (its main process and prefork children), beat, and the
      PostgreSQL backends serving this run's database, over a minute. Target:
      under 2.

How it looks (the choices that make the figures mean what they say):
- The pods are read through the API server, as a client would, never from the
  store's tables: each sandbox with a pod not yet seen Running is watched
  (ApiServer.watch on pods with the field selector status.phase=Running, resumed
  from the last resourceVersion) every POLL_SECONDS, or a tenth of the age of its
  oldest pod not yet seen Running if that is longer (at most 1 s). Sandboxes with
  nothing outstanding are not asked, so the observer's own calls (each traced, as
  every API call is) stay few. The figure's resolution is 25 ms or a tenth of it.
- Before the busy minute, one warm-up pod per worker node of each sandbox pulls
  nginx there (3.6 s of sandbox time), so that no measured pod waits for a pull.
- Nobody opens a sandbox's live page: the idle figure is that of sandboxes no
  page watches, and the busy one that of pods a student created and left to run.
- The idle minute starts SETTLE_SECONDS after the last pod ran, as "left idle"
  means a while after the last work.
- PostgreSQL: the backends whose process title names this run's database (the
  worker's, beat's and Daphne's connections; this process's own is left out),
  sampled every 20 ms, since a worker that opens a connection per task has
  backends that live for one task (a backend that lives less is missed: a floor).
  PostgreSQL's own background processes serve the whole server and are not
  counted; the whole server's CPU delta is logged beside the figure (it includes
  whatever else uses PostgreSQL on the machine meanwhile).

On stderr: progress, CPU seconds per process in each phase, the ticks the worker
ran and the traces written per minute of idleness, and the load on the machine.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import (  # noqa: E402
    Stack,
    _cpu_ticks,
    _parents,
    bench,
    log,
    log_conditions,
    percentile,
    run_bench,
    service_roots,
    setup_django,
    tree_cpu_seconds,
    wait_for,
)

# BENCH_SANDBOXES=10 runs a smaller class, for a machine too busy to serve thirty (the
# figures' names then say so).
SANDBOXES = int(os.environ.get("BENCH_SANDBOXES", "30"))
POD_EVERY_SECONDS = 2.0
BUSY_SECONDS = 60.0
IDLE_SECONDS = 60.0
SETTLE_SECONDS = 45.0
POLL_SECONDS = 0.025
POD_TIMEOUT = 60.0
WORKER_NODES = ("node-1", "node-2")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BACKEND_SAMPLE_SECONDS = 0.02


def pod_manifest(name: str, node: str | None = None) -> dict:
    spec: dict = {"containers": [{"name": "web", "image": "nginx"}]}
    if node:
        spec["nodeSelector"] = {"kubernetes.io/hostname": node}
    return {"metadata": {"name": name, "labels": {"app": "idle-bench"}}, "spec": spec}


class RunningWatch:
    """One sandbox's pods seen Running, through the API server's watch (a client's view)."""

    def __init__(self, api) -> None:
        self.api = api
        listed = api.list("pods", namespace="default", field_selector="status.phase=Running")
        self.resource_version = listed["metadata"]["resourceVersion"]
        self.running = {pod["metadata"]["name"] for pod in listed["items"]}

    def poll(self) -> set[str]:
        """The pods newly seen Running since the last poll."""
        batch = self.api.watch(
            "pods",
            namespace="default",
            resource_version=self.resource_version,
            field_selector="status.phase=Running",
        )
        self.resource_version = batch.resource_version
        seen = {
            event["object"]["metadata"]["name"]
            for event in batch.events
            if event["type"] in ("ADDED", "MODIFIED")
        }
        new = seen - self.running
        self.running |= seen
        return new


# -- CPU time of the processes that serve this run ----------------------------------------


def postgres_children() -> list[int]:
    """The PostgreSQL server's child processes (backends and its own helpers)."""
    children = []
    for root in service_roots("postgres"):
        try:
            with open(f"/proc/{root}/task/{root}/children") as f:
                children += [int(pid) for pid in f.read().split()]
        except OSError:  # no /proc/<pid>/task/<pid>/children: look through every process
            children += [pid for pid, parent in _parents().items() if parent == root]
    return children


class BackendSampler:
    """CPU seconds of the PostgreSQL backends serving one database, sampled every
    BACKEND_SAMPLE_SECONDS in a thread: a worker that opens a connection per task (Celery's
    default) has backends that live for one task, which two samples a minute apart would
    miss. A backend's CPU counts from zero when first seen and up to its last sample; one
    that lived and died between two samples is missed, so the figure is a floor."""

    def __init__(self, database: str, exclude: set[int]) -> None:
        self.database = database
        self.exclude = exclude
        self.seconds: dict[int, float] = {}  # pid -> CPU seconds at its last sample
        self.titles: dict[int, bool] = {}  # pid -> serves this database
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="backends", daemon=True)

    def start(self) -> BackendSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def total(self) -> float:
        self.sample()
        return sum(self.seconds.values())

    def sample(self) -> None:
        for pid in postgres_children():
            if pid in self.exclude:
                continue
            if pid not in self.titles:
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        title = f.read().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                self.titles[pid] = f" {self.database} " in f" {title} "
            if self.titles[pid]:
                ticks = _cpu_ticks(pid)
                if ticks:
                    self.seconds[pid] = max(self.seconds.get(pid, 0.0), ticks / CLOCK_TICKS)

    def _run(self) -> None:
        while not self._stop.wait(BACKEND_SAMPLE_SECONDS):
            self.sample()


class CpuWindow:
    """CPU seconds used by the worker, beat and this run's PostgreSQL backends between
    start() and stop(); the whole PostgreSQL server's for comparison."""

    def __init__(self, stack: Stack, backends: BackendSampler) -> None:
        self.stack = stack
        self.backends = backends

    def _sample(self) -> dict:
        parents = _parents()
        return {
            "worker": tree_cpu_seconds(self.stack.processes["worker"].pid, parents),
            "beat": tree_cpu_seconds(self.stack.processes["beat"].pid, parents),
            "backends": self.backends.total(),
            "server": sum(tree_cpu_seconds(p, parents) for p in service_roots("postgres")),
            "wall": time.monotonic(),
            "worker_log": len(self.stack.log_text("worker")),
        }

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> dict[str, float]:
        after = self._sample()
        before = self.before
        text = self.stack.log_text("worker")[before["worker_log"] : after["worker_log"]]
        return {
            "wall": after["wall"] - before["wall"],
            "worker": after["worker"] - before["worker"],
            "beat": after["beat"] - before["beat"],
            "postgres": after["backends"] - before["backends"],
            "postgres_server": after["server"] - before["server"],
            "ticks": sum(
                "cluster.tasks.tick[" in line and " succeeded in " in line
                for line in text.splitlines()
            ),
            "tasks": text.count(" succeeded in "),
        }


def percent(seconds: float, wall: float) -> float:
    return 100 * seconds / wall


def describe(what: str, cpu: dict[str, float]) -> str:
    wall = cpu["wall"]
    return (
        f"{what}, over {wall:.1f}s: worker {percent(cpu['worker'], wall):.1f}%,"
        f" beat {percent(cpu['beat'], wall):.1f}%,"
        f" this run's PostgreSQL backends {percent(cpu['postgres'], wall):.1f}%"
        f" (the whole PostgreSQL server {percent(cpu['postgres_server'], wall):.1f}%,"
        " with whatever else uses it); "
        f"the worker finished {cpu['tasks']} tasks ({cpu['ticks']} component ticks)"
    )


# -- the run ---------------------------------------------------------------------------------


def run(env: dict[str, str], logs: Path) -> None:
    setup_django(env)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from cluster.apiserver import ApiServer
    from cluster.models import Trace
    from cluster.sandboxes import sandbox_create

    user = get_user_model().objects.create_user("bench-idle", password="bench-pw")
    sandboxes = [sandbox_create(owner=user, name=f"class-{i:02d}") for i in range(SANDBOXES)]
    apis = [ApiServer.as_user(sandbox, user) for sandbox in sandboxes]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own_backend = cursor.fetchone()[0]
    database = connection.settings_dict["NAME"]

    with Stack(env, logs) as stack:
        backends = BackendSampler(database, {own_backend}).start()
        window = CpuWindow(stack, backends)
        watches = [RunningWatch(api) for api in apis]

        # Warm-up: nginx pulled onto both worker nodes of every sandbox.
        waiting = {}
        for i, api in enumerate(apis):
            for node in WORKER_NODES:
                api.create("pods", pod_manifest(f"pull-{node}", node), namespace="default")
                waiting.setdefault(i, set()).add(f"pull-{node}")

        def warm() -> bool:
            for i in list(waiting):
                waiting[i] -= watches[i].poll()
                if not waiting[i]:
                    del waiting[i]
            return not waiting

        wait_for(warm, timeout=300, interval=0.5, what="the warm-up pods Running")
        log(f"{2 * SANDBOXES} warm-up pods Running (nginx pulled on every worker node)")

        # Busy: one pod every 2 s in each sandbox, staggered, for a minute.
        timings = busy_minute(apis, watches, window)
        cpu = window.stop()
        log(describe("busy minute", cpu))
        log(
            f"{len(timings)} pods: p50 {percentile(timings, 0.5):.0f} ms,"
            f" p90 {percentile(timings, 0.9):.0f} ms, max {max(timings):.0f} ms;"
            f" {sum(t >= POD_TIMEOUT * 1000 for t in timings)} not Running within"
            f" {POD_TIMEOUT:g}s (counted as {POD_TIMEOUT:g}s)"
        )

        # Idle: nobody looks, nothing is created.
        log(f"settling for {SETTLE_SECONDS:.0f}s")
        time.sleep(SETTLE_SECONDS)
        traces_before = Trace.objects.filter(sandbox__in=sandboxes).count()
        window.start()
        time.sleep(IDLE_SECONDS)
        idle = window.stop()
        traces = Trace.objects.filter(sandbox__in=sandboxes).count() - traces_before
        log(describe("idle minute", idle) + f"; {traces} traces written")
        log_conditions("idle minute ends")
        backends.stop()
        log(f"{len(backends.seconds)} backends served {database} while the stack ran")
    stack.report()
    bench(f"busy_{SANDBOXES}_sandboxes_startup_p99", percentile(timings, 0.99), "ms")
    idle_seconds = idle["worker"] + idle["beat"] + idle["postgres"]
    bench(f"idle_{SANDBOXES}_sandboxes_cpu_percent", percent(idle_seconds, idle["wall"]), "%")


def poll_interval(waited: float) -> float:
    """How long to wait before asking again about a pod created `waited` seconds ago: a
    tenth of that, at least POLL_SECONDS and at most a second. So the observer's error is
    at most a tenth of what it measures, and a lagging cluster is not asked ever more often
    (each call is traced: the observer would load the machine it measures)."""
    return min(max(waited / 10, POLL_SECONDS), 1.0)


def busy_minute(apis: list, watches: list[RunningWatch], window: CpuWindow) -> list[float]:
    """ms from each create returning to the first watch that saw the pod Running."""
    rounds = int(BUSY_SECONDS / POD_EVERY_SECONDS)
    plan = sorted(
        (k * POD_EVERY_SECONDS + i * POD_EVERY_SECONDS / len(apis), i, f"web-{k:03d}")
        for k in range(rounds)
        for i in range(len(apis))
    )
    created: dict[tuple[int, str], float] = {}
    next_poll: dict[int, float] = {}  # sandbox -> when to ask again (only those waiting)
    timings: list[float] = []
    window.start()
    start = time.perf_counter()
    step = 0
    while step < len(plan) or created:
        # One create when its time has come, then every due look: a slow create (a loaded
        # machine) must not starve the looks, or their resolution would be lost.
        if step < len(plan) and time.perf_counter() - start >= plan[step][0]:
            _, i, name = plan[step]
            apis[i].create("pods", pod_manifest(name), namespace="default")
            created[(i, name)] = time.perf_counter()
            next_poll.setdefault(i, time.perf_counter() + POLL_SECONDS)
            step += 1
            if step % 150 == 0:
                log(f"{step}/{len(plan)} pods created, {len(timings)} seen Running")
            if step == len(plan):
                late = time.perf_counter() - start - plan[-1][0]
                log(f"the last create was {late * 1000:.0f} ms after its planned time")
        now = time.perf_counter()
        due = [i for i, when in next_poll.items() if when <= now]
        for i in due:
            seen = watches[i].poll()
            at = time.perf_counter()
            for name in seen:
                if (i, name) in created:
                    timings.append((at - created.pop((i, name))) * 1000)
            waiting = [when for key, when in created.items() if key[0] == i]
            if waiting:
                next_poll[i] = at + poll_interval(at - min(waiting))
            else:
                del next_poll[i]
        # A pod not Running after POD_TIMEOUT counts as taking that long (a floor): the
        # figure says so rather than the run failing on a loaded machine.
        for key in [key for key, when in created.items() if now - when > POD_TIMEOUT]:
            log(f"pod {key[1]} of sandbox {key[0]} not Running after {POD_TIMEOUT:g}s")
            created.pop(key)
            timings.append(POD_TIMEOUT * 1000)
            if not any(other[0] == key[0] for other in created):
                next_poll.pop(key[0], None)
        upcoming = list(next_poll.values())
        if step < len(plan):
            upcoming.append(start + plan[step][0])
        time.sleep(max(min(upcoming, default=now + POLL_SECONDS) - time.perf_counter(), 0))
    return timings


def main() -> None:
    run_bench("idle", run)


if __name__ == "__main__":
    main()
