"""A client that creates a burst of pods through the API server, as a class would.

Run as its own process (python -m tests.integration.burst) with the stack's
environment, so that a fault test can restart Redis or PostgreSQL under it: the
test process itself stays on the services it started with. A create that fails
because a service is down is retried, as kubectl's user would; one that
committed before its answer was lost comes back 409 AlreadyExists, and counts
as done. Prints one JSON line at the end: {"created": n, "retried": n}.
"""

from __future__ import annotations

import argparse
import json
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sandbox", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--prefix", default="burst")
    parser.add_argument("--cpu", default="", help="each pod's CPU request, if any")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from cluster.apiserver import ApiError, ApiServer
    from cluster.apiserver.publish import flush
    from cluster.models import Sandbox

    sandbox = Sandbox.objects.get(pk=args.sandbox)
    user = get_user_model().objects.get(username=args.user)
    print("creating", flush=True)  # the test times its fault from here, not from the start
    started = time.monotonic()
    created = retried = 0
    for index in range(args.count):
        due = started + args.seconds * index / max(args.count, 1)
        time.sleep(max(due - time.monotonic(), 0))
        manifest = _pod(f"{args.prefix}-{index:04d}", args.cpu)
        while True:
            try:
                ApiServer.as_user(sandbox, user).create("pods", manifest, namespace="default")
                created += 1
                break
            except ApiError as error:
                if error.code == 409:  # committed, its answer lost: it exists once
                    created += 1
                    break
                raise
            except Exception:  # the database is down: try again, as a user would
                retried += 1
                connection.close()  # a broken connection: the next call opens anew
                time.sleep(0.2)
    flush(timeout=10)
    print(json.dumps({"created": created, "retried": retried}), flush=True)


def _pod(name: str, cpu: str) -> dict:
    container: dict = {"name": "web", "image": "nginx"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"run": name}},
        "spec": {"containers": [container]},
    }


if __name__ == "__main__":
    main()
