"""An instructor watches their students' sandboxes: listed on their home page, opened
read-only (no control they may not use is shown; the API server still refuses them)."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiServer
from cluster.models import ComponentState
from cluster.sandboxes import sandbox_create

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_instructors_home_page_lists_their_students_sandboxes(client, sandbox, teacher, bob):
    sandbox_create(owner=bob, name="not in the class")
    client.force_login(teacher)
    home = client.get("/").content.decode()
    assert "Your students' sandboxes" in home
    assert f'href="/sandboxes/{sandbox.pk}/"' in home
    assert "alice: lesson" in home
    assert "not in the class" not in home


def test_a_student_sees_no_other_students_sandboxes(client, sandbox, bob):
    client.force_login(bob)
    home = client.get("/").content.decode()
    assert f'href="/sandboxes/{sandbox.pk}/"' not in home


def test_the_instructor_opens_the_students_page_read_only(client, sandbox, teacher):
    client.force_login(teacher)
    page = client.get(f"/sandboxes/{sandbox.pk}/").content.decode()
    assert 'data-may-write="false"' in page
    assert 'data-user="alice"' in page  # the diagram's person is the student, who calls
    assert "Read-only: alice's sandbox" in page
    for control in ('id="create-pod"', 'id="create-yaml"', "clock/pause/", "clock/step/", "reset/"):
        assert control not in page


def test_the_owner_gets_every_control(client, sandbox, alice):
    client.force_login(alice)
    page = client.get(f"/sandboxes/{sandbox.pk}/").content.decode()
    assert 'data-may-write="true"' in page
    for control in ('id="create-pod"', 'id="create-yaml"', "clock/pause/", "clock/step/", "reset/"):
        assert control in page


def test_the_instructors_panels_show_no_actions(client, sandbox, teacher, alice):
    ApiServer.as_user(sandbox, alice).create(
        "pods",
        {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}},
        namespace="default",
    )
    client.force_login(teacher)
    base = f"/sandboxes/{sandbox.pk}/"
    for path, action in (
        ("nodes/node-1/", "cordon/"),
        ("pods/default/web/", "delete/"),
        ("components/scheduler/", "stop/"),
        ("components/controller-manager/", "stop/"),
    ):
        panel = client.get(f"{base}{path}", **HTMX)
        assert panel.status_code == 200
        html = panel.content.decode()
        assert action not in html
        assert "Read-only" in html
    # Hiding the buttons is a courtesy: the API server still refuses the call.
    assert client.post(f"{base}nodes/node-1/cordon/", **HTMX).status_code == 403
    assert client.post(f"{base}clock/pause/").status_code == 403
    assert client.post(f"{base}components/controller-manager/stop/", **HTMX).status_code == 403
    assert all(
        ComponentState.objects.filter(
            sandbox=sandbox, name__startswith="controller-manager/"
        ).values_list("running", flat=True)
    )


def test_the_page_links_its_favicon_and_the_favicon_is_served(client, alice):
    from django.contrib.staticfiles import finders

    client.force_login(alice)
    home = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in home
    assert finders.find("favicon.svg")
    assert client.get("/favicon.ico")["Location"] == "/static/favicon.svg"


def test_a_student_removed_from_the_class_is_no_longer_the_instructors_to_watch(
    client, sandbox, classroom, teacher, alice
):
    client.force_login(teacher)
    assert client.get(f"/sandboxes/{sandbox.pk}/").status_code == 200
    classroom.students.remove(alice)
    home = client.get("/").content.decode()
    assert f'href="/sandboxes/{sandbox.pk}/"' not in home
    assert client.get(f"/sandboxes/{sandbox.pk}/").status_code == 404
    assert client.get(f"/sandboxes/{sandbox.pk}/nodes/node-1/", **HTMX).status_code == 404


def test_a_refused_change_by_the_instructor_reads_nothing_first(client, sandbox, teacher, alice):
    """The crash control reads the pod before it crashes it: for a read-only viewer the
    change is refused before that read, so the student's timeline gets no line of it."""
    from cluster.models import Trace

    ApiServer.as_user(sandbox, alice).create(
        "pods",
        {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}},
        namespace="default",
    )
    traces = Trace.objects.filter(sandbox=sandbox).count()
    client.force_login(teacher)
    refused = client.post(f"/sandboxes/{sandbox.pk}/pods/default/web/crash/", **HTMX)
    assert refused.status_code == 403
    assert "teacher&quot; cannot change this sandbox" in refused.content.decode()
    assert Trace.objects.filter(sandbox=sandbox).count() == traces
