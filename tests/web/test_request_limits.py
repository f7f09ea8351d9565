"""A manifest over kube-apiserver's request body limit (3 MiB): upstream's 413, and
nothing parsed or stored."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiServer
from cluster.apiserver.limits import MAX_REQUEST_BODY_BYTES

pytestmark = pytest.mark.django_db

MANIFEST = """apiVersion: v1
kind: Pod
metadata:
  name: huge
spec:
  containers:
    - name: app
      image: nginx
      env:
        - name: BLOB
          value: "{blob}"
"""


def test_a_manifest_over_3_mib_is_request_entity_too_large(sandbox, alice, client):
    client.force_login(alice)
    text = MANIFEST.format(blob="x" * MAX_REQUEST_BODY_BYTES)
    response = client.post(f"/sandboxes/{sandbox.pk}/manifests/", {"manifest": text})
    assert response.status_code == 413
    page = response.content.decode()
    assert "413 RequestEntityTooLarge: Request entity too large: limit is 3145728" in page
    pods = ApiServer.as_user(sandbox, alice).list("pods", namespace="default")["items"]
    assert pods == []


def test_a_manifest_under_3_mib_reaches_the_api_server(sandbox, alice, client):
    """2.75 MiB: past Django's default form limit (2.5 MB) and under the API server's,
    so etcd's limit answers it, as on a real cluster."""
    client.force_login(alice)
    text = MANIFEST.format(blob="x" * (MAX_REQUEST_BODY_BYTES - 256 * 1024))
    response = client.post(f"/sandboxes/{sandbox.pk}/manifests/", {"manifest": text})
    assert response.status_code == 422
    assert "etcdserver: request is too large" in response.content.decode()
