"""The YAML editor: create from manifests, with each API cause shown at its line."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiServer
from sandbox.manifests import line_of, manifests_create

pytestmark = pytest.mark.django_db

BROKEN = """apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  restartPolicy: Sometimes
  containers:
    - name: app
      resources:
        requests:
          cpu: lots
"""


def test_each_cause_points_at_its_line(sandbox, alice):
    result = manifests_create(ApiServer.as_user(sandbox, alice), BROKEN)
    (document,) = result.documents
    assert document.error["reason"] == "Invalid"
    assert document.field_lines == {
        "spec.restartPolicy": 6,
        "spec.containers[0].image": 8,  # the container has no image: the closest line is its item
        "spec.containers[0].resources.requests[cpu]": 11,
    }
    assert 'spec.restartPolicy: Unsupported value: "Sometimes"' in result.errors_by_line[6][0]


def test_several_documents_are_created_in_order(sandbox, alice):
    text = "---\n".join(
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\nspec:\n  containers:\n"
        f"    - name: app\n      image: nginx\n"
        for i in range(3)
    )
    result = manifests_create(ApiServer.as_user(sandbox, alice), text)
    assert [d.summary for d in result.documents] == [f"pod/p{i} created" for i in range(3)]


def test_a_yaml_syntax_error_names_its_line_and_column(sandbox, alice):
    text = "kind: Pod\nmetadata:\n  name: a\n   labels: {}\n"
    result = manifests_create(ApiServer.as_user(sandbox, alice), text)
    assert result.parse_error.startswith("YAML syntax error: ")
    assert (result.parse_error_line, result.parse_error_column) == (4, 10)


def test_the_editor_calls_a_yaml_syntax_error_so_not_the_api_servers_problem(
    client, sandbox, alice
):
    client.force_login(alice)
    text = "kind: Pod\nmetadata:\n  name: a\n   labels: {}\n"
    response = client.post(
        f"/sandboxes/{sandbox.pk}/manifests/", {"manifest": text}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "YAML syntax error at line 4, column 10" in page
    assert "Where the API server found problems" not in page
    # The annotated copy keeps each line's indentation (shown with white-space: pre).
    assert '<code class="yaml-line">   labels: {}</code>' in page


def test_an_unknown_kind_is_refused(sandbox, alice):
    result = manifests_create(ApiServer.as_user(sandbox, alice), "apiVersion: v9\nkind: Widget\n")
    assert result.documents[0].error["message"] == 'no matches for kind "Widget" in version "v9"'


def test_line_of_walks_maps_lists_and_bracketed_keys():
    import yaml

    node = yaml.compose("a:\n  b:\n    - x: 1\n    - y:\n        z: 2\n")
    assert line_of(node, "a.b[1].y[z]") == 5
    assert line_of(node, "a.b[0].missing") == 3


def test_the_editor_shows_errors_next_to_lines(client, sandbox, alice):
    client.force_login(alice)
    response = client.post(
        f"/sandboxes/{sandbox.pk}/manifests/", {"manifest": BROKEN}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-line="11">⚠ spec.containers[0].resources.requests[cpu]: Invalid value' in page
