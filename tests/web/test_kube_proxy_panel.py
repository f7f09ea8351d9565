"""Each node's kube-proxy: a component per node, its rules on the node's panel."""

from __future__ import annotations

import pytest

from cluster import loops
from cluster.faults import worker_remove
from cluster.models import ComponentState, Sandbox

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_every_node_has_a_kube_proxy_and_loses_it_with_the_node(sandbox: Sandbox, alice):
    names = set(
        ComponentState.objects.filter(sandbox=sandbox, name__startswith="kube-proxy/").values_list(
            "name", flat=True
        )
    )
    assert names == {"kube-proxy/control-plane", "kube-proxy/node-1", "kube-proxy/node-2"}
    worker_remove(sandbox, alice, name="node-2")
    assert not ComponentState.objects.filter(sandbox=sandbox, name="kube-proxy/node-2").exists()


def test_service_changes_wake_every_kube_proxy_in_watch_mode(sandbox: Sandbox):
    event = {"key": "/registry/services/specs/default/web", "object": {}}
    woken = loops.watchers_of(sandbox, "student", [event])
    assert {"kube-proxy/*", "controller-manager/endpointslice"} <= woken
    # The tick task, in the worker, finds every node's kube-proxy.
    assert set(loops.components_named(sandbox.pk, "kube-proxy/*")) == {
        "kube-proxy/control-plane",
        "kube-proxy/node-1",
        "kube-proxy/node-2",
    }


def test_the_node_panel_shows_kube_proxys_rules(client, alice, sandbox: Sandbox):
    client.force_login(alice)
    assert loops.step(sandbox, "kube-proxy/node-1") == ["kube-proxy/node-1"]
    page = client.get(f"/sandboxes/{sandbox.pk}/nodes/node-1/", **HTMX).content.decode()
    assert "kube-proxy rules" in page
    assert "10.96.0.1:443/TCP" in page
    assert "10.0.0.2:6443" in page
