"""Benchmark: the real kubectl 1.32 against a sandbox's API (issue 13).

Run `.venv/bin/python bench/kubectl.py`. It makes sure Redis and PostgreSQL answer,
migrates a throwaway database, makes a local CA and server certificate, starts one
Daphne serving the API over TLS (no worker or beat: the cluster stands still, so
nothing but the bench writes), and prints `BENCH <name> <value> <unit>` lines.

Figures:
  kubectl_get_1000_pods_over_client   ms: `kubectl get pods` in a namespace of 1,000
      pods (the server's Table of all of them), its median over RUNS, less the median
      of `kubectl version --client` in the same run: what the server and the transfer
      cost beyond kubectl's own start-up. Target: under 300 ms.
  kubectl_get_1000_pods               ms: the same, whole.
  kubectl_version_client              ms: kubectl's own start-up.
  kubectl_apply_100_objects           ms: `kubectl apply -f` of one file of 100 objects
      (60 pods, 20 deployments, 20 services), created; then again, all unchanged
      (kubectl_apply_100_unchanged).
  watch_p50, watch_p99                ms: a store commit (a pod's label changed by an
      API call in this process) to its event line read by a watch client on the TLS
      connection (`GET pods?watch=1`, as `kubectl get -w` and the Python client
      stream). Target: p99 under 100 ms.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import (  # noqa: E402
    VENV_BIN,
    bench,
    free_port,
    log,
    percentile,
    port_answers,
    run_bench,
    setup_django,
    wait_for,
)

KUBECTL = "/usr/bin/kubectl"
RUNS = 7
PODS = 1000
WATCH_EVENTS = 300
WATCH_GAP_SECONDS = 0.02  # between writes: events are timed one by one, not as a burst


def pod(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "bench"}},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
    }


def apply_file(directory: Path) -> Path:
    objects = [pod(f"applied-{i}") for i in range(60)]
    for i in range(20):
        labels = {"app": f"web-{i}"}
        objects.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"web-{i}"},
                "spec": {
                    "replicas": 0,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
                    },
                },
            }
        )
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": f"web-{i}"},
                "spec": {"selector": labels, "ports": [{"port": 80}]},
            }
        )
    path = directory / "hundred.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    return path


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return elapsed


def run(env: dict[str, str], logs: Path) -> None:
    tls = logs / "tls"
    env = {**env, "PODLAB_TLS_DIR": str(tls)}
    port = free_port()
    env["PODLAB_API_URL"] = f"https://127.0.0.1:{port}"
    env["PODLAB_API_LOCAL_CA"] = "1"
    setup_django(env)
    subprocess.run([str(VENV_BIN / "python"), "manage.py", "migrate", "-v0"], env=env, check=True)
    from django.contrib.auth import get_user_model

    from cluster.apiserver import ApiServer
    from cluster.apiserver.publish import flush
    from cluster.sandboxes import sandbox_create
    from kubeapi.kubeconfig import issue_kubeconfig
    from kubeapi.tls import ensure_api_certificates

    files = ensure_api_certificates()
    user = get_user_model().objects.create_user("bench-student", password="x")
    sandbox = sandbox_create(owner=user, name="kubectl bench")
    api = ApiServer.as_user(sandbox, user, command="bench")
    started = time.perf_counter()
    for i in range(PODS):
        api.create("pods", pod(f"pod-{i:04d}"), namespace="default")
    log(f"{PODS} pods created in {time.perf_counter() - started:.1f}s")

    endpoint = (
        f"ssl:{port}:interface=127.0.0.1:privateKey={files.server_key}:certKey={files.server_cert}"
    )
    web_log = (logs / "daphne-tls.log").open("w")
    daphne = subprocess.Popen(
        [str(VENV_BIN / "daphne"), "-e", endpoint, "sandbox.asgi:application"],
        env=env,
        stdout=web_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: port_answers(port), timeout=60, what="daphne (TLS)")
        home = Path(tempfile.mkdtemp(prefix="bench-kubectl-"))
        kubeconfig = home / "config"
        kubeconfig.write_text(issue_kubeconfig(sandbox, user))
        kube_env = {**os.environ, "HOME": str(home), "KUBECONFIG": str(kubeconfig)}
        measure_get(kube_env)
        measure_apply(kube_env, home)
        measure_watch(api, kubeconfig, files.ca_cert, port, sandbox.pk, flush)
    finally:
        daphne.terminate()
        daphne.wait(timeout=30)


def measure_get(kube_env: dict[str, str]) -> None:
    timed([KUBECTL, "get", "pods"], kube_env)  # discovery cached, connections warm
    client = statistics.median(
        timed([KUBECTL, "version", "--client"], kube_env) for _ in range(RUNS)
    )
    whole = statistics.median(timed([KUBECTL, "get", "pods"], kube_env) for _ in range(RUNS))
    bench("kubectl_version_client", client, "ms")
    bench("kubectl_get_1000_pods", whole, "ms")
    bench("kubectl_get_1000_pods_over_client", whole - client, "ms")


def measure_apply(kube_env: dict[str, str], home: Path) -> None:
    path = apply_file(home)
    bench("kubectl_apply_100_objects", timed([KUBECTL, "apply", "-f", str(path)], kube_env), "ms")
    again = timed([KUBECTL, "apply", "-f", str(path)], kube_env)
    bench("kubectl_apply_100_unchanged", again, "ms")


def measure_watch(api, kubeconfig: Path, ca_cert: Path, port: int, sandbox_id: int, flush) -> None:
    token = yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"]
    watched = api.create("pods", pod("watched"), namespace="default")
    revision = watched["metadata"]["resourceVersion"]
    committed: dict[str, float] = {}
    arrived: dict[str, float] = {}
    ready = threading.Event()

    def read() -> None:
        context = ssl.create_default_context(cafile=str(ca_cert))
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=60)
        connection.request(
            "GET",
            f"/clusters/{sandbox_id}/api/v1/namespaces/default/pods"
            f"?watch=1&resourceVersion={revision}&fieldSelector=metadata.name%3Dwatched",
            headers={"Authorization": f"Bearer {token}"},
        )
        response = connection.getresponse()
        ready.set()
        while len(arrived) < WATCH_EVENTS:
            line = response.readline()
            if not line:
                break
            event = json.loads(line)
            arrived[event["object"]["metadata"]["resourceVersion"]] = time.perf_counter()
        connection.close()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ready.wait(30)
    time.sleep(0.5)  # the stream's first flush done
    for i in range(WATCH_EVENTS):
        patch = {"metadata": {"labels": {"step": str(i)}}}
        changed = api.patch("pods", "watched", patch, namespace="default")
        committed[changed["metadata"]["resourceVersion"]] = time.perf_counter()
        flush()  # this process's publisher sends the commit on; the page's does the same
        time.sleep(WATCH_GAP_SECONDS)
    reader.join(timeout=30)
    latencies = [(arrived[rv] - committed[rv]) * 1000 for rv in committed if rv in arrived]
    log(f"watch: {len(latencies)} of {WATCH_EVENTS} events timed")
    bench("watch_p50", percentile(latencies, 0.5), "ms")
    bench("watch_p99", percentile(latencies, 0.99), "ms")


if __name__ == "__main__":
    run_bench("kubectl", run)
