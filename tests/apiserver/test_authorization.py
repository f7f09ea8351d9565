"""Students act in their own sandboxes, instructors read their classes', admins do anything."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiError, ApiServer
from cluster.models import ApiToken
from tests.apiserver.manifests import pod_manifest

pytestmark = pytest.mark.django_db


def code_of(call) -> int:
    try:
        call()
    except ApiError as error:
        return error.code
    return 200


def test_a_student_works_in_their_own_sandbox(api):
    assert api.create("pods", pod_manifest("web"), namespace="default")["metadata"]["name"] == "web"


def test_student_b_gets_403_on_student_a_sandbox_for_every_verb(sandbox, bob, api):
    api.create("pods", pod_manifest("web"), namespace="default")
    as_bob = ApiServer.as_user(sandbox, bob)
    assert code_of(lambda: as_bob.get("pods", "web", namespace="default")) == 403
    assert code_of(lambda: as_bob.list("pods")) == 403
    assert code_of(lambda: as_bob.watch("pods")) == 403
    assert code_of(lambda: as_bob.create("pods", pod_manifest("x"), namespace="default")) == 403
    assert code_of(lambda: as_bob.delete("pods", "web", namespace="default")) == 403
    assert (
        code_of(lambda: as_bob.patch("nodes", "node-1", {"spec": {"unschedulable": True}})) == 403
    )


def test_list_denial_names_the_scope(sandbox, bob):
    with pytest.raises(ApiError) as failure:
        ApiServer.as_user(sandbox, bob).list("nodes")
    assert failure.value.message == (
        'nodes is forbidden: User "bob" cannot list resource "nodes" in API group ""'
        " at the cluster scope"
    )


def test_an_instructor_reads_a_class_sandbox_but_does_not_write(sandbox, teacher):
    as_teacher = ApiServer.as_user(sandbox, teacher)
    assert len(as_teacher.list("nodes")["items"]) == 3
    assert code_of(lambda: as_teacher.create("pods", pod_manifest("x"), namespace="default")) == 403


def test_an_admin_can_do_anything(sandbox, root_admin):
    as_admin = ApiServer.as_user(sandbox, root_admin)
    assert (
        as_admin.create("pods", pod_manifest("x"), namespace="default")["metadata"]["name"] == "x"
    )


def test_an_api_token_acts_as_its_user(sandbox, alice, bob):
    _, alice_token = ApiToken.issue(user=alice)
    _, bob_token = ApiToken.issue(user=bob)
    assert ApiServer.as_token(sandbox, alice_token).list("pods")["items"] == []
    assert code_of(lambda: ApiServer.as_token(sandbox, bob_token).list("pods")) == 403
    assert ApiToken.objects.get(user=alice).last_used_at is not None


def test_an_unknown_component_is_unauthorized(sandbox):
    assert code_of(lambda: ApiServer.as_component(sandbox, "hacker").list("pods")) == 401
