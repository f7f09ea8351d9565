"""Calls that race each other, from threads with their own database connections: no
call answers anything but a Kubernetes Status, and nothing is left half-made."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from cluster import loops
from cluster.apiserver import ApiError, ApiServer
from cluster.apiserver.registry import Registry
from cluster.clock import clock_pause
from cluster.models import ComponentState, Sandbox
from cluster.resources.keys import parse_key
from cluster.sandboxes import sandbox_reset
from tests.apiserver.manifests import pod_manifest

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 12
NAMESPACE_CONTROLLER = "controller-manager/namespace"


def outcome_of(call: Callable[[], object]) -> str:
    """ "ok", an ApiError's code, or the name of anything else raised (a 500)."""
    try:
        call()
    except ApiError as error:
        return str(error.code)
    except Exception as error:  # what the test is here to catch
        return f"raised {type(error).__name__}: {error}"
    finally:
        connection.close()  # each thread's own connection
    return "ok"


def at_once(*calls: Callable[[], object]) -> list[str]:
    """Run the calls in threads released together; their outcomes, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = [""] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        outcomes[index] = outcome_of(call)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_deletes_of_one_pod_at_once_one_deletes_it_and_the_other_gets_404(sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    for round_ in range(ROUNDS):
        name = f"web-{round_}"
        api.create("pods", pod_manifest(name), namespace="default")  # unbound: goes at once

        def delete(name=name) -> None:
            ApiServer.as_user(sandbox, alice).delete("pods", name, namespace="default")

        outcomes = at_once(delete, delete)
        assert sorted(outcomes) in (["404", "ok"], ["409", "ok"]), outcomes
    assert api.list("pods", namespace="default")["items"] == []


def test_a_delete_that_loses_to_another_between_its_read_and_its_write_gets_404(
    sandbox, alice, monkeypatch
):
    """The interleaving the race above can hit, made certain: this delete reads the pod,
    another delete removes it, then this one's write finds no key."""
    api = ApiServer.as_user(sandbox, alice)
    api.create("pods", pod_manifest("web"), namespace="default")
    existing = Registry.existing
    raced: list[bool] = []

    def read_then_lose_the_race(self, request):
        kv = existing(self, request)
        if not raced:
            raced.append(True)
            ApiServer.as_user(sandbox, alice).delete("pods", "web", namespace="default")
        return kv

    monkeypatch.setattr(Registry, "existing", read_then_lose_the_race)
    assert outcome_of(lambda: api.delete("pods", "web", namespace="default")) == "404"


def stored_keys(sandbox: Sandbox) -> list[str]:
    api = ApiServer.as_component(sandbox, "kube-apiserver")
    return [entry["key"] for entry in api.etcd_browse("/registry/")["keys"]]


def orphans(sandbox: Sandbox) -> list[str]:
    """Keys of namespaced objects whose namespace is gone: half-made state."""
    keys = stored_keys(sandbox)
    namespaces = {
        ref.name for key in keys if (ref := parse_key(key)) and ref.rt.name == "namespaces"
    }
    return [
        key
        for key in keys
        if (ref := parse_key(key)) and ref.rt.namespaced and ref.namespace not in namespaces
    ]


def test_a_namespace_deleted_while_pods_are_created_in_it_leaves_no_pod_behind(sandbox, alice):
    clock_pause(sandbox)
    api = ApiServer.as_user(sandbox, alice)
    api.create("namespaces", {"metadata": {"name": "lab"}})
    created: list[str] = []

    def create_pods() -> None:
        user_api = ApiServer.as_user(sandbox, alice)
        for index in range(30):
            outcome = outcome_of(
                lambda index=index: user_api.create(
                    "pods", pod_manifest(f"p{index}"), namespace="lab"
                )
            )
            created.append(outcome)

    def delete_namespace() -> None:
        ApiServer.as_user(sandbox, alice).delete("namespaces", "lab")
        for _ in range(20):  # the namespace controller empties it, then finalizes it
            loops.run_tick(sandbox.pk, NAMESPACE_CONTROLLER, force=True)

    outcomes = at_once(create_pods, delete_namespace)
    assert outcomes == ["ok", "ok"], outcomes
    # Each create was answered: 201, or 403 (Terminating), or 404 (gone).
    assert set(created) <= {"ok", "403", "404"}, created
    row = ComponentState.objects.get(sandbox=sandbox, name=NAMESPACE_CONTROLLER)
    assert row.failure == ""
    for _ in range(5):  # whatever was created in the race is cleaned up by the controller
        loops.run_tick(sandbox.pk, NAMESPACE_CONTROLLER, force=True)
    assert not [key for key in stored_keys(sandbox) if "/lab" in key]
    assert orphans(sandbox) == []


def test_a_namespace_marked_terminating_between_admission_and_write_gets_no_new_pod(
    sandbox, alice, monkeypatch
):
    """The interleaving the race above can hit, made certain: the pod's create admits it
    into an Active namespace, the namespace is deleted, then the pod's write comes."""
    api = ApiServer.as_user(sandbox, alice)
    api.create("namespaces", {"metadata": {"name": "lab"}})
    admit = Registry.admit_namespace
    deleted: list[bool] = []

    def admit_then_lose_the_namespace(self, request, obj, *, must_exist):
        requirements = admit(self, request, obj, must_exist=must_exist)
        if not deleted:
            deleted.append(True)
            ApiServer.as_user(sandbox, alice).delete("namespaces", "lab")
        return requirements

    monkeypatch.setattr(Registry, "admit_namespace", admit_then_lose_the_namespace)
    status = outcome_of(lambda: api.create("pods", pod_manifest("late"), namespace="lab"))
    assert status == "403"  # NamespaceLifecycle, on the call's second try
    assert api.list("pods", namespace="lab")["items"] == []


def test_a_reset_while_pods_are_created_and_deleted_answers_every_call_and_leaves_no_orphan(
    sandbox, alice
):
    api = ApiServer.as_user(sandbox, alice)
    api.create("namespaces", {"metadata": {"name": "lab"}})
    answers: list[str] = []
    stop = threading.Event()

    def churn() -> None:
        user_api = ApiServer.as_user(sandbox, alice)
        index = 0
        while not stop.is_set() and index < 200:
            for namespace in ("default", "lab"):
                name = f"c{index}"
                answers.append(
                    outcome_of(
                        lambda name=name, namespace=namespace: user_api.create(
                            "pods", pod_manifest(name), namespace=namespace
                        )
                    )
                )
                if index % 2:
                    answers.append(
                        outcome_of(
                            lambda name=name, namespace=namespace: user_api.delete(
                                "pods", name, namespace=namespace
                            )
                        )
                    )
            index += 1

    def reset() -> None:
        try:
            sandbox_reset(Sandbox.objects.get(pk=sandbox.pk), alice)
        finally:
            stop.set()

    outcomes = at_once(churn, reset)
    assert outcomes == ["ok", "ok"], outcomes
    assert answers and set(answers) <= {"ok", "403", "404", "409"}, sorted(set(answers))
    assert orphans(sandbox) == []
