"""kubectl apply --server-side against a sandbox: the API server merges what each field
manager applies and keeps who owns what in metadata.managedFields
(cluster/apiserver/server_side_apply.py)."""

from __future__ import annotations

import json

import pytest
import yaml

from cluster.models import Trace

pytestmark = pytest.mark.django_db(transaction=True)

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  containers:
    - name: web
      image: nginx
"""


@pytest.fixture
def kubectl(kubectl_for, alice, sandbox):
    return kubectl_for(alice, sandbox)


def test_apply_server_side_creates_merges_prunes_and_refuses_another_manager_s_field(
    kubectl, sandbox, tmp_path
):
    manifest = tmp_path / "web.yaml"
    manifest.write_text(POD)
    created = kubectl("apply", "--server-side", "-f", str(manifest)).stdout
    assert created.strip() == "pod/web serverside-applied"
    trace = Trace.objects.filter(sandbox=sandbox, verb="patch", name="web").latest("id")
    assert trace.code == 201
    assert "a server-side apply by field manager kubectl" in trace.narration

    shown = yaml.safe_load(kubectl("get", "pod", "web", "-o", "yaml").stdout)
    assert "managedFields" not in shown["metadata"]  # kubectl hides them by default
    full = kubectl("get", "pod", "web", "-o", "json", "--show-managed-fields").stdout
    (entry,) = json.loads(full)["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["fieldsType"]) == (
        "kubectl",
        "Apply",
        "FieldsV1",
    )
    assert entry["fieldsV1"]["f:metadata"] == {"f:labels": {"f:app": {}, "f:tier": {}}}
    container = entry["fieldsV1"]["f:spec"]["f:containers"]['k:{"name":"web"}']
    assert container == {".": {}, "f:image": {}, "f:name": {}}

    # Applied again without the tier label and with a new image: the label kubectl no
    # longer applies goes, the container is merged (its defaults stay).
    manifest.write_text(
        POD.replace(", tier: front", "").replace("image: nginx", "image: nginx:1.27")
    )
    assert kubectl("apply", "--server-side", "-f", str(manifest)).stdout.strip() == (
        "pod/web serverside-applied"
    )
    pod = json.loads(kubectl("get", "pod", "web", "-o", "json").stdout)
    assert pod["metadata"]["labels"] == {"app": "web"}
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert pod["spec"]["containers"][0]["terminationMessagePath"] == "/dev/termination-log"

    # Another manager applying another value of a field kubectl owns: a conflict.
    manifest.write_text(POD.replace("nginx", "httpd"))
    refused = kubectl(
        "apply", "--server-side", "--field-manager=deployer", "-f", str(manifest), check=False
    )
    assert refused.returncode == 1
    assert (
        'Apply failed with 1 conflict: conflict with "kubectl": .spec.containers[name="web"].image'
        in refused.stderr
    )
    forced = kubectl(
        "apply",
        "--server-side",
        "--field-manager=deployer",
        "--force-conflicts",
        "-f",
        str(manifest),
    )
    assert forced.stdout.strip() == "pod/web serverside-applied"
    pod = json.loads(kubectl("get", "pod", "web", "-o", "json", "--show-managed-fields").stdout)
    assert pod["spec"]["containers"][0]["image"] == "httpd"
    assert sorted(e["manager"] for e in pod["metadata"]["managedFields"]) == [
        "deployer",
        "kubectl",
    ]
    # A server dry run of an apply that would create: answered, nothing stored.
    manifest.write_text(POD.replace("name: web\n  labels", "name: api\n  labels"))
    dry = kubectl("apply", "--server-side", "--dry-run=server", "-f", str(manifest)).stdout
    assert dry.strip() == "pod/api serverside-applied (server dry run)"
    assert kubectl("get", "pods", "-o", "name").stdout.split() == ["pod/web"]
