"""Benchmark: API-server pod creates and big lists, on SQLite and PostgreSQL.

Run `.venv/bin/python bench/store.py`. It makes sure Redis and PostgreSQL
answer, runs each database in a child process on a throwaway database, and
prints one line per figure: `BENCH <name> <value> <unit>`.

The children run with DEBUG=0, as a deployment does: in DEBUG, Django keeps
every query it ran in memory. stderr shows the load and the CPU time stolen by
the hypervisor during each database's run: on a shared VM they move every figure.

Figures per database (<db> is sqlite or postgres):
  <db>.create_p50, <db>.create_p99  pod create through the API server (authn,
                                    authz, admission, validation, store, trace,
                                    after-commit publish to Redis), ms
  <db>.creates_per_s                the same creates, one after another
  <db>.raw_insert_p99               one committed single-row INSERT, ms, in blocks
                                    of 50 taking turns with blocks of creates
  <db>.list_5000_pods               list all pods of a namespace with 500 nodes
                                    and 5,000 pods in the sandbox, ms (median of 5)
"""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stack import BENCH_MAX_OBJECTS, bench, log_conditions, percentile  # noqa: E402

CREATES = 1000  # and as many raw INSERTs
BLOCK = 50
NODES = 500
PODS = 5000
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/podlab_bench"
)


def run_database(label: str) -> None:
    """Child process: DATABASE_URL points at an empty throwaway database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from cluster.apiserver import ApiServer, publish
    from cluster.sandboxes import sandbox_create
    from cluster.topology import NodeShape, node_manifest

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench")
    sandbox = sandbox_create(owner=user, name="bench")
    api = ApiServer.as_user(sandbox, user)

    def pod(name: str) -> dict:
        return {
            "metadata": {"name": name, "labels": {"app": "bench"}},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "nginx",
                        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                    }
                ]
            },
        }

    for i in range(20):  # warm up connections, caches and the Redis publish path
        api.create("pods", pod(f"warm-{i}"), namespace="kube-public")
    log_conditions(f"{label} creates start")

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_raw_insert (id INTEGER PRIMARY KEY, payload TEXT)")
    payload = "x" * 600  # about the size of a small pod's JSON
    timings: list[float] = []
    raw: list[float] = []
    creating = 0.0
    # Blocks of creates and of raw INSERTs take turns, so both sample the same
    # minutes of a shared machine (a noisy neighbour's burst would otherwise land
    # on one side only); the publisher finishes a block's pushes before INSERTs
    # are timed, so each side runs as it would alone.
    for block in range(CREATES // BLOCK):
        started = time.perf_counter()
        for i in range(block * BLOCK, (block + 1) * BLOCK):
            t0 = time.perf_counter()
            api.create("pods", pod(f"create-{i}"), namespace="kube-system")
            timings.append((time.perf_counter() - t0) * 1000)
        creating += time.perf_counter() - started
        publish.flush()
        for i in range(block * BLOCK, (block + 1) * BLOCK):
            t0 = time.perf_counter()
            with connection.cursor() as cursor:  # autocommit: each INSERT is its own commit
                cursor.execute(
                    "INSERT INTO bench_raw_insert (id, payload) VALUES (%s, %s)", [i, payload]
                )
            raw.append((time.perf_counter() - t0) * 1000)
    bench(f"{label}.create_p50", percentile(timings, 0.50), "ms")
    bench(f"{label}.create_p99", percentile(timings, 0.99), "ms")
    bench(f"{label}.creates_per_s", len(timings) / creating, "creates/s")
    bench(f"{label}.raw_insert_p99", percentile(raw, 0.99), "ms")
    log_conditions(f"{label} creates and raw INSERTs end")

    kubelet = ApiServer.as_component(sandbox, "kubelet/bench")
    for i in range(NODES):
        kubelet.create(
            "nodes",
            node_manifest(NodeShape(f"bench-node-{i}"), address="10.1.0.1", now=sandbox.now()),
        )
    for i in range(PODS):
        api.create("pods", pod(f"pod-{i:05d}"), namespace="default")
    lists = []
    for _ in range(5):
        t0 = time.perf_counter()
        listed = api.list("pods", namespace="default")
        lists.append((time.perf_counter() - t0) * 1000)
        assert len(listed["items"]) == PODS
    bench(f"{label}.list_5000_pods", statistics.median(lists), "ms")
    log_conditions(f"{label} list ends")


def child(label: str, database_url: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PODLAB_CHANNEL_PREFIX": "podlab-bench",
        "PODLAB_TASK_QUEUE": "podlab-bench",  # no developer's worker takes these ticks
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),  # production settings require their own
        "PODLAB_MAX_OBJECTS_PER_SANDBOX": BENCH_MAX_OBJECTS,  # 5,500 objects in one sandbox
    }
    subprocess.run([sys.executable, __file__, "--database", label], cwd=ROOT, env=env, check=True)


def main() -> None:
    subprocess.run(
        ["bash", "scripts/ensure-redis.sh"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    with tempfile.TemporaryDirectory() as tmp:
        child("sqlite", f"sqlite:///{tmp}/bench.sqlite3")
    env = {**os.environ, "DATABASE_URL": POSTGRES_URL}
    subprocess.run(
        ["bash", "scripts/ensure-postgres.sh"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    database = POSTGRES_URL.rsplit("/", 1)[1]
    admin_url = POSTGRES_URL.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin_url, "-qc", f"DROP DATABASE IF EXISTS {database}"], check=True)
    subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {database}"], check=True)
    try:
        child("postgres", POSTGRES_URL)
    finally:
        subprocess.run(
            ["psql", admin_url, "-qc", f"DROP DATABASE IF EXISTS {database}"], check=True
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--database":
        run_database(sys.argv[2])
    else:
        main()
