"""Benchmark: scheduling throughput and cost, then 1,000 pods on 100 nodes with the whole stack.

Run `.venv/bin/python bench/scheduler.py`. It makes sure Redis and PostgreSQL
answer and runs two parts, each in a child process on a throwaway PostgreSQL
database of its own with its own Celery queue and Channels prefix
(bench/stack.py). It prints `BENCH <name> <value> <unit>`.

Part 1, in-process, no worker (the scheduler's own speed):
  sched_100_nodes_pods_per_s, sched_1000_nodes_pods_per_s
      pods bound per second by scheduler_tick (cluster/components/scheduler),
      called synchronously against the real API server as the scheduler
      (ApiServer.as_component(sandbox, "scheduler")), the sandbox as clock, on
      a sandbox of 100 (1,000) nodes with 300 pending pods created beforehand.
      Only the ticks are timed, until every pod is bound (each tick places up
      to 100 pods: it lists the pending pods, the nodes and the bound pods,
      then binds each pod and files its Scheduled event). The API calls' work
      counts, after-commit watch kicks (a Redis enqueue) included.
      Targets: 100 pods/s at 100 nodes, 50 pods/s at 1,000 nodes.
  sched_decision_us_per_node
      one scheduling decision (schedule_pod alone, over NodeInfos prepared
      from the 1,000-node sandbox with its 300 bound pods), in microseconds,
      divided by the node count (median of 20 decisions).
  Not in the figures, reported on stderr: what the worker's adapter
  (cluster/runs.py run_scheduler) adds per pod by writing a SchedulingRecord
  of each decision (measured on the first tick's first 20 decisions).
  BENCH_PROFILE=1 prints cProfile output of the ticks and decisions to stderr
  (its figures are then slowed down: do not quote them).

Part 2, the whole stack (Daphne, Celery worker with concurrency 2, beat) on a
100-node sandbox in watch mode, and a browser stand-in watching the sandbox's
live channel through Daphne:
  run_1000_pods_wall_s   1,000 nginx pods created one after another without
      waiting, until all of them are Running (seconds from the first create).
      Each node pulls nginx once (3.6 s of sandbox time) along the way.
      "inf" if they are not all Running after 210 s (stderr says how far it got;
      BENCH_STACK_TIMEOUT=<seconds> waits longer).
  peak_rss_web_mib, peak_rss_worker_mib, peak_rss_beat_mib
      the peak RSS over the whole part (start-up included), sampled every
      0.2 s from /proc: Daphne; the worker's main process plus its two prefork
      children, summed (pages they share count twice); beat.

Pods request 100m CPU and 64Mi (so the resource plugins have work to do);
nodes are 2 CPU / 4Gi / 110 pods, as the "lesson" shape's.
"""

from __future__ import annotations

import cProfile
import io
import json
import math
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import (  # noqa: E402
    Stack,
    Viewer,
    bench,
    bench_environment,
    cleanup_redis,
    ensure_services,
    log,
    log_conditions,
    queue_census,
    setup_django,
    throwaway_database,
)

PENDING_PODS = 300
DECISIONS = 20
RECORDS = 20
STACK_NODES = 100
STACK_PODS = 1000
# Keeps the whole benchmark near 5 minutes; BENCH_STACK_TIMEOUT=<seconds> to wait longer.
STACK_TIMEOUT = float(os.environ.get("BENCH_STACK_TIMEOUT", "210"))


def pod_manifest(name: str) -> dict:
    return {
        "metadata": {"name": name, "labels": {"app": "sched"}},
        "spec": {
            "containers": [
                {
                    "name": "web",
                    "image": "nginx",
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                }
            ]
        },
    }


def make_sandbox(user, name: str, nodes: int):
    """A "lesson" sandbox (control-plane, node-1, node-2) grown to `nodes` nodes with node_add."""
    from cluster.sandboxes import node_add, sandbox_create
    from cluster.topology import NodeShape

    sandbox = sandbox_create(owner=user, name=name, shape="lesson")
    started = time.perf_counter()
    for index in range(3, nodes):
        node_add(
            sandbox,
            NodeShape(f"node-{index}"),
            address=f"10.0.{index // 250}.{index % 250 + 2}",
            pod_cidr=f"10.{100 + index // 256}.{index % 256}.0/24",
        )
    log(f"sandbox {name}: {nodes} nodes ({time.perf_counter() - started:.1f}s to add them)")
    return sandbox


# -- part 1: scheduler_tick in-process ----------------------------------------------


@contextmanager
def profiled(what: str) -> Iterator[None]:
    """BENCH_PROFILE=1: cProfile the block and print its top functions to stderr.
    (The profiler slows the code down: do not read figures from such a run.)"""
    if not os.environ.get("BENCH_PROFILE"):
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        log(f"profile of {what}:\n{out.getvalue()}")


def write_records(sandbox, decisions) -> str:
    """What the worker's adapter (cluster/runs.py run_scheduler) does after a tick:
    one SchedulingRecord per decision, in batches. Timed apart from the tick."""
    from django.db import DatabaseError, transaction

    from cluster.models import SchedulingRecord
    from cluster.runs import scheduling_records

    size = len(json.dumps(decisions[0].as_dict()))
    t0 = time.perf_counter()
    try:
        with transaction.atomic():
            SchedulingRecord.objects.bulk_create(
                scheduling_records(sandbox, decisions, sandbox.now()), batch_size=20
            )
    except DatabaseError as error:
        return (
            f"FAILED after {time.perf_counter() - t0:.1f}s for {len(decisions)} decisions"
            f" of {size / 1e6:.2f} MB JSON each: {error}".strip()
        )
    took = time.perf_counter() - t0
    return (
        f"{took / len(decisions) * 1000:.1f} ms per pod on top of the tick"
        f" ({len(decisions)} decisions of {size / 1e6:.2f} MB JSON each)"
    )


def part_sync() -> None:
    from django.contrib.auth import get_user_model

    from cluster.apiserver import ApiServer
    from cluster.components.scheduler.framework import OUTCOME_BOUND
    from cluster.components.scheduler.scheduler import (
        build_node_infos,
        schedule_pod,
        scheduler_tick,
    )

    user = get_user_model().objects.create_user("bench", password="bench-pw")
    decision_us: dict[int, float] = {}
    for nodes in (100, 1000):
        sandbox = make_sandbox(user, f"sched-{nodes}", nodes)
        owner = ApiServer.as_user(sandbox, user)
        started = time.perf_counter()
        for i in range(PENDING_PODS):
            owner.create("pods", pod_manifest(f"pod-{i:04d}"), namespace="default")
        log(f"{PENDING_PODS} pending pods created in {time.perf_counter() - started:.1f}s")

        api = ApiServer.as_component(sandbox, "scheduler")
        state: dict = {}
        rng = random.Random(0)
        bound, ticks, elapsed, records = 0, [], 0.0, ""
        while bound < PENDING_PODS:
            with profiled(f"scheduler_tick at {nodes} nodes"):
                t0 = time.perf_counter()
                decisions = scheduler_tick(api, sandbox, state, rng=rng)
                took = time.perf_counter() - t0
            placed = sum(d.outcome == OUTCOME_BOUND for d in decisions)
            if not placed:
                raise RuntimeError(f"a tick bound nothing: {[d.message for d in decisions][:3]}")
            bound += placed
            elapsed += took
            ticks.append((placed, took))
            if not records:  # 20 of them: at 1,000 nodes each takes about half a second
                records = write_records(sandbox, decisions[:RECORDS])
        log(
            f"{nodes} nodes: {bound} pods bound in {len(ticks)} ticks, {elapsed:.2f}s"
            f" ({', '.join(f'{n} in {t * 1000:.0f} ms' for n, t in ticks)})"
        )
        bench(f"sched_{nodes}_nodes_pods_per_s", bound / elapsed, "pods/s")
        log(f"{nodes} nodes: run_scheduler's SchedulingRecords: {records}")

        # One decision, alone, over NodeInfos built from the cluster as it is now.
        probe = owner.create("pods", pod_manifest("probe"), namespace="default")
        infos = build_node_infos(
            api.list("nodes")["items"], api.list("pods", field_selector="spec.nodeName!=")["items"]
        )
        samples = []
        with profiled(f"schedule_pod at {nodes} nodes"):
            for _ in range(DECISIONS):
                t0 = time.perf_counter()
                decision = schedule_pod(probe, infos, rng=rng)
                samples.append(time.perf_counter() - t0)
        assert decision.node_name is not None
        decision_us[nodes] = statistics.median(samples) * 1e6 / len(infos)
        log(
            f"{nodes} nodes: schedule_pod takes {statistics.median(samples) * 1000:.1f} ms,"
            f" {decision_us[nodes]:.1f} us per node"
        )
    bench("sched_decision_us_per_node", decision_us[1000], "us")


# -- part 2: the whole stack, 1,000 pods on 100 nodes ----------------------------------


def part_stack(env: dict[str, str], logs: Path) -> None:
    from django.contrib.auth import get_user_model

    from cluster.apiserver import ApiServer
    from cluster.models import ComponentState

    user = get_user_model().objects.create_user("bench", password="bench-pw")
    sandbox = make_sandbox(user, "stack", STACK_NODES)
    api = ApiServer.as_user(sandbox, user)

    def pods(field_selector: str = "", limit: int | None = None) -> list[dict]:
        """Pods read through the API server (the phase and node selectors are indexed)."""
        page = api.list("pods", field_selector=field_selector, limit=limit)
        return page["items"]

    def running() -> int:
        return len(pods("status.phase=Running"))

    def all_running() -> bool:
        return not pods("status.phase!=Running", limit=1)

    def waiting() -> str:
        """How long ago the kubelets of nodes with bound, not yet Running pods last ticked."""
        nodes = {pod["spec"]["nodeName"] for pod in pods("status.phase!=Running,spec.nodeName!=")}
        if not nodes:
            return "no bound pod waits"
        sandbox.refresh_from_db()
        now = sandbox.now()
        last_ticks = ComponentState.objects.filter(
            sandbox=sandbox, name__in=[f"kubelet/{n}" for n in nodes]
        ).values_list("last_tick_at", flat=True)
        ages = [(now - last).total_seconds() for last in last_ticks if last]
        never = len(nodes) - len(ages)
        ticked = (
            f"the others last ticked {statistics.median(ages):.0f}s (median),"
            f" {max(ages):.0f}s (max) ago"
            if ages
            else ""
        )
        return f"bound pods wait on {len(nodes)} nodes: {never} kubelets never ticked; {ticked}"

    with Stack(env, logs) as stack:
        viewer = Viewer(stack, sandbox, user).start()
        try:
            started = time.perf_counter()
            for i in range(STACK_PODS):
                api.create("pods", pod_manifest(f"web-{i:04d}"), namespace="default")
            log(f"{STACK_PODS} pods created in {time.perf_counter() - started:.1f}s")
            last_report, wall = 0.0, math.inf
            while not all_running():
                now = time.perf_counter() - started
                if now - last_report >= 10 or now > STACK_TIMEOUT:
                    count = running()
                    bound = len(pods("spec.nodeName!="))
                    queued = queue_census(env["PODLAB_TASK_QUEUE"])
                    log(f"{now:.0f}s: {bound} bound, {count} Running; {queued}; {waiting()}")
                    last_report = now
                if now > STACK_TIMEOUT:
                    log(f"NOT FINISHED: {count}/{STACK_PODS} Running after {now:.0f}s; giving up")
                    break
                time.sleep(0.1)
            else:
                wall = time.perf_counter() - started
                log(f"all {STACK_PODS} pods Running after {wall:.1f}s")
        finally:
            viewer.stop()
    log(viewer.summary())
    stack.report()
    log_api_work(sandbox)
    bench("run_1000_pods_wall_s", wall, "s")
    bench("peak_rss_web_mib", stack.peak_rss_mib("web"), "MiB")
    bench("peak_rss_worker_mib", stack.peak_rss_mib("worker"), "MiB")
    bench("peak_rss_beat_mib", stack.peak_rss_mib("beat"), "MiB")


def log_api_work(sandbox) -> None:
    """The API server's work by caller (from traces) and the scheduler's outcomes."""
    from collections import Counter, defaultdict

    from cluster.models import SchedulingRecord, Trace

    calls: dict[str, list[float]] = defaultdict(list)
    conflicts = Counter()
    for actor, verb, resource, subresource, code, duration in Trace.objects.filter(
        sandbox=sandbox
    ).values_list("actor", "verb", "resource", "subresource", "code", "duration_ms"):
        who = "kubelets" if actor.startswith("kubelet/") else actor
        what = f"{verb} {resource}{'/' + subresource if subresource else ''}"
        calls[f"{who}: {what}"].append(duration)
        if code == 409:
            conflicts[f"{who}: {what}"] += 1
    for key, durations in sorted(calls.items(), key=lambda kv: -sum(kv[1]))[:12]:
        log(
            f"  API {key}: {len(durations)} calls, {sum(durations) / 1000:.1f}s in all,"
            f" median {statistics.median(durations):.1f} ms, max {max(durations):.0f} ms"
        )
    outcomes = Counter(
        SchedulingRecord.objects.filter(sandbox=sandbox).values_list("decision__outcome", flat=True)
    )
    log(f"scheduler outcomes: {dict(outcomes)}; 409 Conflicts: {dict(conflicts)}")


# -- driver ----------------------------------------------------------------------------


def child(part: str) -> None:
    tag = f"podlab-bench-sched-{part}-{os.getpid()}"
    try:
        with tempfile.TemporaryDirectory() as tmp, throwaway_database(f"sched_{part}") as url:
            env = bench_environment(url, tag)
            setup_django(env)
            if part == "sync":
                part_sync()
            else:
                # BENCH_LOGS=<dir> keeps the stack's logs there instead of a temporary directory.
                part_stack(env, Path(os.environ.get("BENCH_LOGS") or tmp))
    finally:
        cleanup_redis(tag)


def main() -> None:
    ensure_services()
    log_conditions("scheduler starts")
    for part in ("sync", "stack"):
        subprocess.run([sys.executable, __file__, "--part", part], check=True)
        log_conditions(f"scheduler part {part} ended")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--part":
        child(sys.argv[2])
    else:
        main()
