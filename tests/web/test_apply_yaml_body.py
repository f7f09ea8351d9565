"""A server-side apply's body in YAML (application/apply-patch+yaml), as a hand-written
client may send it: kubectl and the Python client send JSON, which is YAML too."""

from __future__ import annotations

import pytest

from cluster.models import ApiToken

pytestmark = pytest.mark.django_db

POD_YAML = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations: {released: 2024-01-01}
spec:
  containers:
    - name: web
      image: nginx
"""


def test_a_yaml_apply_creates_then_applies_again_and_dates_stay_strings(client, alice, sandbox):
    _, token = ApiToken.issue(user=alice)
    url = f"/clusters/{sandbox.pk}/api/v1/namespaces/default/pods/web?fieldManager=me"

    def apply(body: str):
        return client.patch(
            url,
            data=body,
            content_type="application/apply-patch+yaml",
            headers={"Authorization": f"Bearer {token}"},
        )

    created = apply(POD_YAML)
    assert created.status_code == 201
    pod = created.json()
    assert pod["metadata"]["annotations"] == {"released": "2024-01-01"}
    assert pod["metadata"]["managedFields"][0]["manager"] == "me"
    again = apply(POD_YAML.replace("image: nginx", "image: httpd"))
    assert again.status_code == 200
    assert again.json()["spec"]["containers"][0]["image"] == "httpd"
    broken = apply("spec: [unclosed")
    assert broken.status_code == 400
    assert broken.json()["message"].startswith("error decoding YAML")
