"""Every API call leaves a trace: who, what, result, revision, stages and a plain sentence."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiError, ApiServer
from cluster.models import Trace
from tests.apiserver.manifests import pod_manifest

pytestmark = pytest.mark.django_db


def test_a_create_is_traced_with_its_revision_and_stages(api, sandbox):
    before = Trace.objects.count()
    pod = api.create("pods", pod_manifest("web"), namespace="default")
    assert Trace.objects.count() == before + 1
    trace = Trace.objects.latest("id")
    revision = int(pod["metadata"]["resourceVersion"])
    assert (
        trace.sandbox,
        trace.actor,
        trace.verb,
        trace.resource,
        trace.namespace,
        trace.name,
    ) == (sandbox, "alice", "create", "pods", "default", "web")
    assert (trace.code, trace.revision) == (201, revision)
    assert trace.narration == (
        f"alice created pod default/web: the API server stored /registry/pods/default/web"
        f" in etcd at revision {revision}"
    )
    assert [s["stage"] for s in trace.stages] == [
        "authentication",
        "authorization",
        "admission",
        "validation",
        "etcd",
    ]
    assert all(s["ok"] for s in trace.stages)
    assert trace.duration_ms > 0


def test_a_read_is_traced_too(api):
    api.list("pods", namespace="default", field_selector="spec.nodeName=")
    trace = Trace.objects.latest("id")
    assert (trace.verb, trace.code) == ("list", 200)
    assert trace.narration.startswith(
        "alice listed pods in default matching spec.nodeName=: 0 found"
    )


def test_a_component_call_is_traced_under_the_component_name(api, sandbox):
    api.create("pods", pod_manifest("web"), namespace="default")
    ApiServer.as_component(sandbox, "scheduler").bind("web", "node-2")
    trace = Trace.objects.latest("id")
    assert (trace.actor, trace.verb, trace.subresource, trace.code) == (
        "scheduler",
        "create",
        "binding",
        201,
    )
    assert "bound pod default/web to node node-2" in trace.narration


def test_a_refused_call_is_traced_with_the_failing_stage(api):
    with pytest.raises(ApiError):
        api.create("pods", {"metadata": {"name": "web"}, "spec": {}}, namespace="default")
    trace = Trace.objects.latest("id")
    assert (trace.code, trace.reason) == (422, "Invalid")
    assert trace.stages[-1] == {
        "stage": "validation",
        "ok": False,
        "detail": 'Pod "web" is invalid: spec.containers: Required value',
    }
    assert trace.narration.startswith(
        "the API server refused alice's create of pod default/web: 422 Invalid"
    )


def test_a_forbidden_call_leaves_nothing_in_the_sandbox_it_targeted(sandbox, bob, caplog):
    before = Trace.objects.filter(sandbox=sandbox).count()
    with pytest.raises(ApiError) as refused:
        ApiServer.as_user(sandbox, bob).create(
            "pods", pod_manifest("graffiti"), namespace="default"
        )
    assert refused.value.code == 403
    assert Trace.objects.filter(sandbox=sandbox).count() == before  # nor pushed: test_publish
    # The operator's log keeps it.
    assert any("bob" in r.getMessage() and r.name == "podlab.audit" for r in caplog.records)


def test_an_unauthenticated_call_leaves_nothing_in_the_sandbox_it_targeted(sandbox):
    from django.contrib.auth.models import AnonymousUser

    before = Trace.objects.filter(sandbox=sandbox).count()
    with pytest.raises(ApiError) as refused:
        ApiServer.as_user(sandbox, AnonymousUser()).list("pods")
    assert refused.value.code == 401
    assert Trace.objects.filter(sandbox=sandbox).count() == before


def test_a_trace_records_the_client_a_user_called_through(sandbox, alice):
    """The live page's calls (a session) carry its user agent, so that the timeline can
    fold its reads away; a token's (kubectl's) and a component's carry none of it."""
    from cluster.models import ApiToken

    ApiServer.as_user(sandbox, alice).list("pods")
    page_read = Trace.objects.latest("id")
    _, token = ApiToken.issue(user=alice)
    ApiServer.as_token(sandbox, token).list("pods")
    token_read = Trace.objects.latest("id")
    ApiServer.as_component(sandbox, "scheduler").list("pods")
    component_read = Trace.objects.latest("id")
    assert page_read.user_agent == "podlab-live-page"
    assert page_read.as_message()["user_agent"] == "podlab-live-page"
    assert (token_read.user_agent, component_read.user_agent) == ("", "")


def test_a_writes_trace_records_the_user_agent_too(api):
    api.create("pods", pod_manifest("web"), namespace="default")
    assert Trace.objects.latest("id").user_agent == "podlab-live-page"


def test_a_controller_says_why_it_calls_and_acts_as_its_service_account(api, sandbox):
    controller = ApiServer.as_component(sandbox, "controller-manager/replicaset")
    controller.explain("replicaset default/web-7d4b9 wants 3, sees 2: creating 1")
    created = controller.create("pods", pod_manifest("web-7d4b9-x2x7q"), namespace="default")
    trace = Trace.objects.latest("id")
    assert trace.actor == "controller-manager/replicaset"
    assert trace.narration == (
        "controller-manager/replicaset: replicaset default/web-7d4b9 wants 3, sees 2: creating 1;"
        " created pod default/web-7d4b9-x2x7q: the API server stored"
        " /registry/pods/default/web-7d4b9-x2x7q in etcd at revision"
        f" {created['metadata']['resourceVersion']}"
    )
    controller.explain("")
    controller.delete("pods", "web-7d4b9-x2x7q", namespace="default")
    assert Trace.objects.latest("id").narration.startswith(
        "controller-manager/replicaset deleted pod default/web-7d4b9-x2x7q"
    )


@pytest.mark.parametrize(
    ("controller", "username"),
    [
        ("replicaset", "system:serviceaccount:kube-system:replicaset-controller"),
        ("replicationcontroller", "system:serviceaccount:kube-system:replication-controller"),
        ("nodelifecycle", "system:serviceaccount:kube-system:node-controller"),
        ("garbagecollector", "system:serviceaccount:kube-system:generic-garbage-collector"),
    ],
)
def test_each_controller_has_upstreams_service_account(controller, username):
    from cluster.apiserver.authn import caller_for_component

    assert caller_for_component(f"controller-manager/{controller}").username == username


def test_an_unknown_controller_is_not_authenticated(sandbox):
    with pytest.raises(ApiError) as refused:
        ApiServer.as_component(sandbox, "controller-manager/made-up").list("pods")
    assert refused.value.code == 401
