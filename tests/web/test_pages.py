"""The demo seed, logging in, the sandbox pages and who may see them."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command

from cluster.models import Sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path, monkeypatch):
    from sandbox.management.commands import seed_demo

    monkeypatch.setattr(seed_demo, "PASSWORDS_FILE", tmp_path / "demo-accounts.json")
    call_command("seed_demo", stdout=io.StringIO())
    return json.loads((tmp_path / "demo-accounts.json").read_text())


def test_seed_demo_makes_the_lesson_sandbox_for_the_student(demo):
    (sandbox,) = Sandbox.objects.filter(owner__username="student")
    assert sandbox.classroom.instructor.username == "instructor"
    assert set(demo) == {"student", "instructor", "admin"}


def test_seed_demo_twice_keeps_the_data_and_the_passwords(demo, client):
    call_command("seed_demo", stdout=io.StringIO())
    assert Sandbox.objects.filter(owner__username="student").count() == 1
    assert client.login(username="student", password=demo["student"])


def test_the_demo_student_logs_in_and_sees_the_lesson_cluster(demo, client):
    response = client.post("/login/", {"username": "student", "password": demo["student"]})
    assert response.status_code == 302
    home = client.get("/")
    assert "How Kubernetes creates a pod" in home.content.decode()
    sandbox = Sandbox.objects.get(owner__username="student")
    page = client.get(f"/sandboxes/{sandbox.pk}/")
    snapshot = page.context["snapshot"]
    assert [n["metadata"]["name"] for n in snapshot["nodes"]] == [
        "control-plane",
        "node-1",
        "node-2",
    ]
    assert 'id="initial-snapshot"' in page.content.decode()


def test_a_wrong_password_shows_an_error_on_the_form(demo, client):
    response = client.post("/login/", {"username": "student", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_another_students_sandbox_page_is_404_as_a_missing_one(sandbox, bob, client):
    client.force_login(bob)
    response = client.get(f"/sandboxes/{sandbox.pk}/")
    missing = client.get("/sandboxes/999999/")
    assert response.status_code == missing.status_code == 404

    # The same page but for the id the message names (and the per-response CSRF mask):
    # sandbox ids cannot be probed.
    def page(answer, sandbox_id) -> str:
        html = answer.content.decode().replace(f"&quot;{sandbox_id}&quot;", "&quot;N&quot;")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert page(response, sandbox.pk) == page(missing, 999999)


def test_pages_need_a_login(client, sandbox):
    assert client.get("/").status_code == 302
    assert client.get(f"/sandboxes/{sandbox.pk}/")["Location"].startswith("/login/")
