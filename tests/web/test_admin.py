"""The admin shows the store and changes cluster state only through the API server."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from cluster.apiserver import ApiServer
from cluster.models import ComponentState, Trace
from cluster.models.store import Node, Pod, StoreKey
from tests.apiserver.manifests import pod_manifest
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, root_admin):
    client.force_login(root_admin)
    return client


def test_admin_lists_the_sandbox_nodes_and_store_keys(admin_client, sandbox):
    nodes = admin_client.get("/admin/cluster/node/").content.decode()
    for name in ["control-plane", "node-1", "node-2"]:
        assert name in nodes
    keys = admin_client.get("/admin/cluster/storekey/").content.decode()
    assert "/registry/namespaces/default" in keys
    assert "/registry/minions/node-1" in keys


def test_a_store_key_page_shows_readable_json_and_its_history(admin_client, sandbox, alice):
    ApiServer.as_user(sandbox, alice).patch("nodes", "node-1", {"metadata": {"labels": {"x": "y"}}})
    key = StoreKey.objects.get(sandbox=sandbox, key="/registry/minions/node-1")
    page = admin_client.get(f"/admin/cluster/storekey/{key.pk}/change/").content.decode()
    assert "&quot;kubeletVersion&quot;: &quot;v1.32.4&quot;" in page
    assert page.count("<li>revision") == 2


def test_store_records_cannot_be_edited_in_the_admin(admin_client, sandbox):
    key = StoreKey.objects.filter(sandbox=sandbox).first()
    response = admin_client.post(f"/admin/cluster/storekey/{key.pk}/change/", {"value": "{}"})
    assert response.status_code == 403
    assert StoreKey.objects.get(pk=key.pk).value == key.value


def test_cordon_action_goes_through_the_api_server(admin_client, sandbox):
    node = Node.objects.get(sandbox=sandbox, name="node-1")
    response = admin_client.post(
        "/admin/cluster/node/", {"action": "cordon", "_selected_action": [node.pk]}
    )
    assert response.status_code == 302
    assert Node.objects.get(pk=node.pk).value["spec"]["unschedulable"] is True
    trace = Trace.objects.latest("id")
    assert (trace.actor, trace.verb, trace.resource, trace.name) == (
        "root-admin",
        "patch",
        "nodes",
        "node-1",
    )


def test_drain_action_cordons_and_deletes_the_nodes_pods_through_the_api_server(
    admin_client, sandbox, alice
):
    api = ApiServer.as_user(sandbox, alice)
    api.create("pods", pod_manifest("web"))
    api.bind("web", "node-1")
    node = Node.objects.get(sandbox=sandbox, name="node-1")
    response = admin_client.post(
        "/admin/cluster/node/", {"action": "drain", "_selected_action": [node.pk]}
    )
    assert response.status_code == 302
    assert api.get("nodes", "node-1")["spec"]["unschedulable"] is True
    assert api.get("pods", "web")["metadata"]["deletionTimestamp"]
    drained = Trace.objects.filter(actor="root-admin", verb="delete", resource="pods")
    assert list(drained.values_list("name", flat=True)) == ["web"]


def test_delete_pod_action_goes_through_the_api_server(admin_client, sandbox, alice):
    ApiServer.as_user(sandbox, alice).create("pods", pod_manifest("web"), namespace="default")
    pod = Pod.objects.get(sandbox=sandbox, name="web")
    admin_client.post(
        "/admin/cluster/pod/", {"action": "delete_through_api_server", "_selected_action": [pod.pk]}
    )
    assert not Pod.objects.filter(pk=pod.pk).exists()
    assert Trace.objects.latest("id").verb == "delete"


def test_admin_filters_pods_by_phase(admin_client, sandbox, alice):
    ApiServer.as_user(sandbox, alice).create("pods", pod_manifest("web"), namespace="default")
    page = admin_client.get("/admin/cluster/pod/?phase=Pending").content.decode()
    assert "web" in page
    assert "web" not in admin_client.get("/admin/cluster/pod/?phase=Running").content.decode()


def test_the_component_list_shows_a_failing_component_as_failing(admin_client, sandbox):
    failing = ComponentState.objects.get(sandbox=sandbox, name="scheduler")
    failing.record_tick(OverflowError("date value out of range"), sandbox.now())
    failing.save()

    listing = admin_client.get("/admin/cluster/componentstate/").content.decode()
    assert "failing</strong> since" in listing
    assert "OverflowError: date value out of range" in listing
    assert listing.count("running") >= 3  # the kubelets

    only_failing = admin_client.get("/admin/cluster/componentstate/?ticks=failing")
    assert only_failing.context["cl"].result_count == 1


def test_deleting_a_sandbox_in_the_admin_stops_its_components_first(admin_client, sandbox, caplog):
    """As a student's Delete: through cluster.sandboxes.sandbox_delete (which the audit
    log names), not a bare cascade under running components."""
    confirmation = admin_client.get(f"/admin/cluster/sandbox/{sandbox.pk}/delete/")
    assert confirmation.status_code == 200 and "lesson (alice)" in confirmation.content.decode()
    with caplog.at_level("INFO", logger="podlab.audit"):
        response = admin_client.post(
            f"/admin/cluster/sandbox/{sandbox.pk}/delete/", {"post": "yes"}
        )
    assert response.status_code == 302
    assert not ComponentState.objects.filter(sandbox_id=sandbox.pk).exists()
    assert f"sandbox {sandbox.pk} ('lesson', owner {sandbox.owner_id}) deleted by root-admin" in (
        caplog.text
    )


def test_the_admins_bulk_delete_goes_the_same_way(admin_client, sandbox, caplog):
    with caplog.at_level("INFO", logger="podlab.audit"):
        admin_client.post(
            "/admin/cluster/sandbox/",
            {"action": "delete_selected", "_selected_action": [sandbox.pk], "post": "yes"},
        )
    assert not StoreKey.objects.filter(sandbox_id=sandbox.pk).exists()
    assert f"sandbox {sandbox.pk} " in caplog.text


def test_staff_who_are_not_administrators_may_not_delete_a_sandbox(client, sandbox):
    staff = make_user("staff", is_staff=True)
    may = Permission.objects.filter(codename__in=["view_sandbox", "delete_sandbox"])
    staff.user_permissions.add(*may)
    client.force_login(staff)
    response = client.post(f"/admin/cluster/sandbox/{sandbox.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert ComponentState.objects.filter(sandbox_id=sandbox.pk).exists()
