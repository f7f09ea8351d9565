"""The facts the controllers' wake filters ask (cluster.informer_facts), learnt in the
publisher from committed changes, on real Redis, as a worker or Daphne learns them."""

from __future__ import annotations

import pytest

from cluster import informer_facts
from cluster.apiserver import ApiServer, publish
from cluster.models import Sandbox

pytestmark = pytest.mark.django_db(transaction=True)  # changes publish on commit


def facts(sandbox: Sandbox) -> informer_facts.SandboxFacts:
    assert publish.flush()
    return informer_facts.SandboxFacts(sandbox.pk)


def service(name: str, selector: dict | None) -> dict:
    spec: dict = {"ports": [{"port": 80}]}
    if selector is not None:
        spec["selector"] = selector
    return {"metadata": {"name": name}, "spec": spec}


def test_a_node_s_no_execute_taints_are_known_from_its_changes(sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    assert not facts(sandbox).node_may_have_no_execute_taint("node-1")  # registered bare
    assert facts(sandbox).node_may_have_no_execute_taint("node-9")  # never heard of: maybe
    taint = {"key": "maintenance", "effect": "NoExecute"}
    api.patch("nodes", "node-1", {"spec": {"taints": [taint]}})
    assert facts(sandbox).node_may_have_no_execute_taint("node-1")
    assert not facts(sandbox).node_may_have_no_execute_taint("node-2")
    api.patch("nodes", "node-1", {"spec": {"taints": None}})
    assert not facts(sandbox).node_may_have_no_execute_taint("node-1")


def test_services_selectors_are_known_from_the_sandbox_s_creation(sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    web = {"app": "web"}
    assert not facts(sandbox).a_service_may_select("default", web)
    api.create("services", service("web", web), namespace="default")
    api.create("services", service("manual", None), namespace="default")
    assert facts(sandbox).a_service_may_select("default", {**web, "tier": "front"})
    assert not facts(sandbox).a_service_may_select("default", {"app": "db"})
    assert not facts(sandbox).a_service_may_select("kube-system", web)
    api.delete("services", "web", namespace="default")
    assert not facts(sandbox).a_service_may_select("default", web)


def test_what_redis_does_not_know_may_be_anything(sandbox):
    assert publish.flush()  # the sandbox's creation, learnt
    informer_facts.forget(sandbox.pk)  # as after Redis lost its memory
    known = informer_facts.SandboxFacts(sandbox.pk)
    assert known.node_may_have_no_execute_taint("node-1")
    assert known.a_service_may_select("default", {"app": "web"})
