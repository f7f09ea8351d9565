"""Per user: a cap on sandboxes (administrators exempt) and a Delete for one's own."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiServer
from cluster.models import ComponentState, Sandbox, Trace
from cluster.models.store import StoreEvent, StoreKey
from cluster.sandboxes import sandbox_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_sandbox_each(settings):
    settings.PODLAB_MAX_SANDBOXES_PER_USER = 1


def test_a_student_at_the_cap_is_told_so_on_the_form_and_gets_no_sandbox(
    one_sandbox_each, sandbox, alice, client
):
    client.force_login(alice)
    response = client.post("/sandboxes/new/", {"shape": "lesson"})
    assert response.status_code == 403
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "You already have 1 sandbox, the most one account may have." in page
    assert "Delete one you no longer need" in page
    assert Sandbox.objects.filter(owner=alice).count() == 1


def test_the_home_page_counts_the_sandboxes_and_disables_create_at_the_cap(
    settings, sandbox, alice, client
):
    client.force_login(alice)
    settings.PODLAB_MAX_SANDBOXES_PER_USER = 2
    below = client.get("/").content.decode()
    assert "You have 1 of 2 sandboxes." in below
    assert "disabled" not in below
    settings.PODLAB_MAX_SANDBOXES_PER_USER = 1
    at_cap = client.get("/").content.decode()
    assert "You have 1 of 1 sandbox, the most one account may have." in at_cap
    assert 'disabled aria-describedby="sandbox-limit"' in at_cap


def test_below_the_cap_a_student_creates_one(settings, alice, client):
    settings.PODLAB_MAX_SANDBOXES_PER_USER = 1
    client.force_login(alice)
    response = client.post("/sandboxes/new/", {"shape": "lesson"})
    (created,) = Sandbox.objects.filter(owner=alice)
    assert response["Location"] == f"/sandboxes/{created.pk}/"


def test_an_administrator_has_no_cap(one_sandbox_each, root_admin, client):
    client.force_login(root_admin)
    for _ in range(2):
        assert client.post("/sandboxes/new/", {"shape": "lesson"}).status_code == 302
    assert Sandbox.objects.filter(owner=root_admin).count() == 2
    assert "sandboxes, the most" not in client.get("/").content.decode()


def keyspace_rows(sandbox_id: int) -> dict[str, int]:
    return {
        model.__name__: model.objects.filter(sandbox_id=sandbox_id).count()
        for model in (StoreKey, StoreEvent, Trace, ComponentState)
    }


def test_the_owner_deletes_a_sandbox_and_everything_in_it_goes(sandbox, alice, client):
    ApiServer.as_user(sandbox, alice).create(
        "pods",
        {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
        namespace="default",
    )
    assert all(keyspace_rows(sandbox.pk).values())
    client.force_login(alice)
    home = client.get("/").content.decode()
    assert f'action="/sandboxes/{sandbox.pk}/delete/"' in home
    assert "return confirm(" in home

    response = client.post(f"/sandboxes/{sandbox.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert not Sandbox.objects.filter(pk=sandbox.pk).exists()
    assert keyspace_rows(sandbox.pk) == dict.fromkeys(keyspace_rows(sandbox.pk), 0)
    assert "Sandbox “lesson” deleted." in client.get("/").content.decode()


def test_the_sandbox_page_offers_delete_to_its_owner_only(sandbox, alice, teacher, client):
    client.force_login(alice)
    assert "/delete/" in client.get(f"/sandboxes/{sandbox.pk}/").content.decode()
    client.force_login(teacher)
    assert "/delete/" not in client.get(f"/sandboxes/{sandbox.pk}/").content.decode()


def test_another_student_cannot_delete_it_nor_learn_it_exists(sandbox, bob, client):
    client.force_login(bob)
    response = client.post(f"/sandboxes/{sandbox.pk}/delete/")
    missing = client.post("/sandboxes/999999/delete/")
    assert response.status_code == missing.status_code == 404
    assert Sandbox.objects.filter(pk=sandbox.pk).exists()


def test_an_instructor_who_may_watch_it_gets_403_and_it_stays(sandbox, teacher, client):
    client.force_login(teacher)
    response = client.post(f"/sandboxes/{sandbox.pk}/delete/")
    assert response.status_code == 403
    assert "cannot change this sandbox: it is read-only" in response.content.decode()
    assert Sandbox.objects.filter(pk=sandbox.pk).exists()
    assert ComponentState.objects.filter(sandbox=sandbox, running=True).exists()


def test_an_administrator_deletes_any_sandbox(sandbox, root_admin, client):
    client.force_login(root_admin)
    assert client.post(f"/sandboxes/{sandbox.pk}/delete/").status_code == 302
    assert not Sandbox.objects.filter(pk=sandbox.pk).exists()


def test_an_anonymous_delete_goes_to_the_login_page(sandbox, client):
    response = client.post(f"/sandboxes/{sandbox.pk}/delete/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert Sandbox.objects.filter(pk=sandbox.pk).exists()


def test_delete_is_a_post(sandbox, alice, client):
    client.force_login(alice)
    assert client.get(f"/sandboxes/{sandbox.pk}/delete/").status_code == 405
    assert Sandbox.objects.filter(pk=sandbox.pk).exists()


def test_deleting_one_sandbox_leaves_the_owners_others_alone(sandbox, alice, client):
    other = sandbox_create(owner=alice, name="second")
    client.force_login(alice)
    client.post(f"/sandboxes/{sandbox.pk}/delete/")
    assert all(keyspace_rows(other.pk)[name] for name in ("StoreKey", "ComponentState"))
    assert client.get(f"/sandboxes/{other.pk}/").status_code == 200


def test_the_delete_service_refuses_an_instructor_itself(sandbox, teacher):
    """For a caller that is no web view (the admin, later kubectl): the service decides too."""
    from cluster.apiserver import ApiError
    from cluster.sandboxes import sandbox_delete

    with pytest.raises(ApiError) as refused:
        sandbox_delete(sandbox, teacher)
    assert refused.value.code == 403
    assert "only its owner or an administrator may" in refused.value.message
    assert ComponentState.objects.filter(sandbox=sandbox, running=True).exists()
