"""Benchmark: how fast the cluster heals itself, and a big rolling update, in watch mode.

Run `.venv/bin/python bench/healing.py`. Like bench/pod_startup.py it starts
its own stack (Daphne, a Celery worker with concurrency 2, beat) on a
throwaway PostgreSQL database and prints `BENCH <name> <value> <unit>`.

Figures:
  heal_p50, heal_p99   ms from the delete call returning to the first 20 ms poll
      that sees a replacement pod Running, for a ReplicaSet of 3 nginx pods on the
      lesson's cluster, over 50 deletions. The replacement's trip: delete -> watch
      kick -> ReplicaSet controller creates a pod -> scheduler -> binding -> kubelet
      -> Running. Target: p99 under 500 ms.
  rollout_100_replicas   s of wall time (sandbox clock at x1) for a Deployment of 100
      replicas on 20 worker nodes to roll from nginx:1.25.5 to nginx:1.27.3 (default
      strategy: maxSurge 25%, maxUnavailable 25%), from the update call to every
      replica updated and available. Its floor is the images' start-up: each node
      pulls nginx:1.27.3 once (72 MB at the registry's simulated 20 MB/s: 4 s),
      logged on stderr beside the figure.

Before the measured deletions, one warm-up pod per worker node pulls nginx there,
so that a replacement never waits for a pull; the 1.25.5 image of the rollout is
pulled by the Deployment's first pods, and the 1.27.3 image is not: its pulls are
part of the rollout, as on a real cluster.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import (  # noqa: E402
    Stack,
    bench,
    log,
    percentile,
    run_bench,
    setup_django,
    wait_for,
)

DELETIONS = 50
POLL_SECONDS = 0.02  # through the API server: each read is traced
HEAL_TIMEOUT = 30.0
ROLLOUT_REPLICAS = 100
ROLLOUT_NODES = 20
ROLLOUT_TIMEOUT = 600.0
LABELS = {"app": "web"}


def workload(kind: str, name: str, replicas: int, image: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "labels": dict(LABELS)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(LABELS)},
            "template": {
                "metadata": {"labels": dict(LABELS)},
                "spec": {"containers": [{"name": "nginx", "image": image}]},
            },
        },
    }


def _ready(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and not pod["metadata"].get(
        "deletionTimestamp"
    )


def measure_healing(env: dict[str, str], logs: Path) -> list[float]:
    from django.contrib.auth import get_user_model

    from cluster.apiserver import ApiServer
    from cluster.sandboxes import sandbox_create

    user = get_user_model().objects.create_user("bench-heal", password="bench-pw")
    sandbox = sandbox_create(owner=user, name="healing", shape="lesson")
    api = ApiServer.as_user(sandbox, user)

    def running() -> dict[str, dict]:
        pods = api.list("pods", namespace="default")["items"]
        return {pod["metadata"]["name"]: pod for pod in pods if _ready(pod)}

    timings: list[float] = []
    with Stack(env, logs):
        api.create(
            "replicasets", workload("ReplicaSet", "web", 3, "nginx:1.27.3"), namespace="default"
        )
        wait_for(lambda: len(running()) == 3, timeout=60, what="3 pods running")
        for i in range(DELETIONS):
            before = running()
            victim = sorted(before)[i % 3]
            api.delete("pods", victim, namespace="default")
            deleted = time.perf_counter()
            deadline = deleted + HEAL_TIMEOUT
            while True:
                now_running = running()
                if len(now_running) == 3 and victim not in now_running:
                    break
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"no replacement for {victim} after {HEAL_TIMEOUT:g}s")
                time.sleep(POLL_SECONDS)
            timings.append((time.perf_counter() - deleted) * 1000)
            # The victim finishes its graceful stop before the next deletion.
            wait_for(
                lambda v=victim: (
                    not api.list("pods", namespace="default", field_selector=f"metadata.name={v}")[
                        "items"
                    ]
                ),
                timeout=HEAL_TIMEOUT,
                what=f"{victim} gone",
            )
            if (i + 1) % 10 == 0:
                log(f"{i + 1}/{DELETIONS} heals: p50 {percentile(timings, 0.5):.0f} ms")
    return timings


def measure_rollout(env: dict[str, str], logs: Path) -> float:
    from django.contrib.auth import get_user_model

    from cluster.apiserver import ApiServer
    from cluster.components.runtime import lookup
    from cluster.sandboxes import node_add, sandbox_create
    from cluster.topology import NodeShape

    user = get_user_model().objects.create_user("bench-rollout", password="bench-pw")
    sandbox = sandbox_create(owner=user, name="rollout", shape="lesson")
    for index in range(3, ROLLOUT_NODES + 1):
        node_add(
            sandbox,
            NodeShape(f"node-{index}", cpu="8", memory="32Gi"),
            address=f"10.0.1.{index}",
            pod_cidr=f"10.244.{index + 10}.0/24",
        )
    api = ApiServer.as_user(sandbox, user)

    def available(image: str) -> int:
        pods = api.list("pods", namespace="default")["items"]
        return sum(
            1 for pod in pods if _ready(pod) and pod["spec"]["containers"][0]["image"] == image
        )

    def total() -> int:
        return len(api.list("pods", namespace="default")["items"])

    with Stack(env, logs):
        manifest = workload("Deployment", "web", ROLLOUT_REPLICAS, "nginx:1.25.5")
        api.create("deployments", manifest, namespace="default")
        wait_for(
            lambda: available("nginx:1.25.5") == ROLLOUT_REPLICAS,
            timeout=ROLLOUT_TIMEOUT,
            what="100 replicas of nginx:1.25.5",
        )
        deployment = api.get("deployments", "web", namespace="default")
        deployment["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27.3"
        started = time.perf_counter()
        api.update("deployments", deployment, namespace="default")
        wait_for(
            lambda: available("nginx:1.27.3") == ROLLOUT_REPLICAS and total() == ROLLOUT_REPLICAS,
            timeout=ROLLOUT_TIMEOUT,
            what="100 replicas of nginx:1.27.3",
        )
        took = time.perf_counter() - started
    pull = lookup("nginx:1.27.3").pull_seconds
    log(
        f"rollout of {ROLLOUT_REPLICAS} replicas on {ROLLOUT_NODES} nodes: {took:.1f} s;"
        f" floor: one pull of nginx:1.27.3 per node, {pull} s each, in parallel"
    )
    return took


def run(env: dict[str, str], logs: Path) -> None:
    setup_django(env)
    heals = measure_healing(env, logs)
    rollout = measure_rollout(env, logs)
    bench("heal_p50", percentile(heals, 0.50), "ms")
    bench("heal_p99", percentile(heals, 0.99), "ms")
    bench("rollout_100_replicas", rollout, "s")


def main() -> None:
    run_bench("healing", run)


if __name__ == "__main__":
    main()
