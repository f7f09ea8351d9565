"""A sandbox's kubeconfig from its page, and the user's API tokens: listed, revocable, and
none of them anyone else's business."""

from __future__ import annotations

import pytest
import yaml
from django.test import Client

from cluster.apiserver.authn import caller_for_token
from cluster.models import ApiToken
from cluster.sandboxes import sandbox_create

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_gives_a_kubeconfig_for_its_sandbox_with_a_new_token(sandbox, alice, settings):
    settings.PODLAB_API_URL = "https://podlab.example.org"
    settings.PODLAB_API_LOCAL_CA = False  # a real certificate, behind a reverse proxy
    client = logged_in(alice)
    assert "Download kubeconfig" in client.get(f"/sandboxes/{sandbox.pk}/").content.decode()
    answer = client.post(f"/sandboxes/{sandbox.pk}/kubeconfig/")
    assert answer.status_code == 200
    assert answer["Content-Disposition"] == f'attachment; filename="podlab-{sandbox.pk}.kubeconfig"'
    config = yaml.safe_load(answer.content)
    [cluster] = config["clusters"]
    assert cluster["cluster"] == {"server": f"https://podlab.example.org/clusters/{sandbox.pk}"}
    token = config["users"][0]["user"]["token"]
    assert caller_for_token(token).username == "alice"
    assert ApiToken.objects.get(user=alice).name == f"kubeconfig for sandbox {sandbox.pk}"
    assert client.get(f"/sandboxes/{sandbox.pk}/kubeconfig/").status_code == 405


def test_another_student_gets_no_kubeconfig_and_no_token(sandbox, bob):
    assert logged_in(bob).post(f"/sandboxes/{sandbox.pk}/kubeconfig/").status_code == 404
    assert not ApiToken.objects.exists()


def test_tokens_are_listed_to_their_user_alone_and_revoked_by_them(alice, bob):
    mine, _ = ApiToken.issue(user=alice, name="laptop")
    theirs, _ = ApiToken.issue(user=bob, name="bob's laptop")
    sandbox_create(owner=alice, name="mine")
    page = logged_in(alice).get("/tokens/").content.decode()
    assert "laptop" in page and "bob&#x27;s laptop" not in page and "/clusters/" in page
    # Bob's token is not Alice's to revoke: as if it did not exist.
    assert logged_in(alice).post(f"/tokens/{theirs.pk}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()
    assert logged_in(alice).post(f"/tokens/{mine.pk}/revoke/").status_code == 302
    assert not ApiToken.objects.filter(pk=mine.pk).exists()
    assert Client().get("/tokens/").status_code == 302  # to the login page


def test_manage_py_kubeconfig_prints_one_for_a_user_who_may_use_the_sandbox(sandbox, alice, bob):
    from io import StringIO

    from django.core.management import CommandError, call_command

    printed = StringIO()
    call_command("kubeconfig", "alice", str(sandbox.pk), stdout=printed)
    config = yaml.safe_load(printed.getvalue())
    assert config["clusters"][0]["cluster"]["server"].endswith(f"/clusters/{sandbox.pk}")
    with pytest.raises(CommandError, match=f"bob may not use sandbox {sandbox.pk}"):
        call_command("kubeconfig", "bob", str(sandbox.pk))
    assert ApiToken.objects.filter(user=bob).count() == 0
