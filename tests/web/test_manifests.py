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


WORKLOADS = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: app
          image: nginx:1.27
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: cache
spec:
  selector:
    matchLabels:
      app: cache
  template:
    metadata:
      labels:
        app: cache
    spec:
      containers:
        - name: app
          image: redis:7
---
apiVersion: v1
kind: ReplicationController
metadata:
  name: legacy
spec:
  template:
    metadata:
      labels:
        app: legacy
    spec:
      containers:
        - name: app
          image: nginx:1.27
"""


def test_workload_manifests_are_created_through_the_api_server(sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    result = manifests_create(api, WORKLOADS)
    assert [d.summary for d in result.documents] == [
        "deployment.apps/web created",
        "replicaset.apps/cache created",
        "replicationcontroller/legacy created",
    ]
    assert api.get("deployments", "web", namespace="default")["spec"]["replicas"] == 3
    assert api.get("replicationcontrollers", "legacy", namespace="default")["spec"]["selector"] == {
        "app": "legacy"
    }


def test_a_workloads_causes_point_at_their_lines(sandbox, alice):
    text = WORKLOADS.split("---\n")[0].replace("app: web\n    spec:", "app: api\n    spec:")
    result = manifests_create(ApiServer.as_user(sandbox, alice), text)
    (document,) = result.documents
    assert document.error["message"] == (
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value:'
        ' map[string]string{"app":"api"}: `selector` does not match template `labels`'
    )
    assert document.field_lines == {"spec.template.metadata.labels": 12}


def test_a_kind_in_a_version_that_does_not_serve_it_is_refused(sandbox, alice):
    text = WORKLOADS.split("---\n")[0].replace("apps/v1", "extensions/v1beta1")
    result = manifests_create(ApiServer.as_user(sandbox, alice), text)
    assert result.documents[0].error["message"] == (
        'no matches for kind "Deployment" in version "extensions/v1beta1"'
    )


def test_the_etcd_browser_shows_workloads_under_upstreams_keys(client, sandbox, alice):
    manifests_create(ApiServer.as_user(sandbox, alice), WORKLOADS)
    client.force_login(alice)
    page = client.get(
        f"/sandboxes/{sandbox.pk}/etcd/?prefix=/registry/&key=/registry/controllers/default/legacy",
        HTTP_HX_REQUEST="true",
    ).content.decode()
    for key in (
        "/registry/deployments/default/web",
        "/registry/replicasets/default/cache",
        "/registry/controllers/default/legacy",
    ):
        assert f">{key}</a>" in page
    assert "&quot;kind&quot;: &quot;ReplicationController&quot;" in page
