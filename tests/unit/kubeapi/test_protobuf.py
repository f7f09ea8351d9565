"""kubectl's protobuf create bodies decode to the JSON object kubectl would have sent.

Each fixtures/<name>.pb is a body the real kubectl 1.32.4 POSTed to a logging server, and
fixtures/<name>.json what the same command prints with `--dry-run=client -o json`:
  deployment                  create deployment web --image=nginx --replicas=3
  deployment-two-images-port  create deployment api --image=nginx --image=redis --port=8080
  deployment-zero-replicas    create deployment zero --image=nginx --replicas=0
  namespace                   create namespace team-a
  service-clusterip           create service clusterip web --tcp=80:8080
  service-nodeport            create service nodeport edge --tcp=80:http --node-port=30080
  configmap                   create configmap settings --from-literal=mode=fast
  configmap-binary            create configmap files --from-file=blob=<6 non-UTF-8 bytes>
                                --from-literal=a=b
  secret-generic              create secret generic pw --from-literal=password=s3cret
  secret-docker-registry      create secret docker-registry reg --docker-server=r.example
                                --docker-username=u --docker-password=p
  job                         create job once --image=busybox -- echo hi
  cronjob                     create cronjob tick --image=busybox --schedule='*/5 * * * *' -- date
  job-from-cronjob            create job from-tick --from=cronjob/tick, the server answering
                                GET cronjob with a template full of probes, volumes, env
                                sources, affinity, tolerations and security contexts
"""

import json
from pathlib import Path
from typing import Any

import pytest

from kubeapi.protobuf import ProtobufError, decode

FIXTURES = Path(__file__).parent / "fixtures"
CAPTURED = sorted(path.stem for path in FIXTURES.glob("*.pb"))
K8S_MAGIC = b"k8s\x00"


def captured_body(name: str) -> bytes:
    return (FIXTURES / f"{name}.pb").read_bytes()


def without_empty_values(value: Any) -> Any:
    """Drop null and empty values, recursively, keeping zeros and false.

    kubectl's JSON prints some unset fields anyway (`creationTimestamp: null`, `status: {}`,
    `resources: {}`, `strategy: {}`), which decode() omits, so both sides are compared without
    them. Zeros and false stay: `replicas: 0` and `privileged: false` are compared too.
    """
    if isinstance(value, dict):
        kept = {key: without_empty_values(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, "", {}, [])}
    if isinstance(value, list):
        return [without_empty_values(item) for item in value]
    return value


def varint(number: int) -> bytes:
    number &= (1 << 64) - 1  # a negative number as protobuf writes it: 64-bit two's complement
    encoded = bytearray()
    while number >= 0x80:
        encoded.append(number & 0x7F | 0x80)
        number >>= 7
    encoded.append(number)
    return bytes(encoded)


def field(number: int, value: int | str | bytes) -> bytes:
    """One protobuf field: an int as a varint, a str or bytes length-delimited."""
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    payload = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def envelope(api_version: str, kind: str, raw: bytes, content_encoding: str = "") -> bytes:
    """The runtime.Unknown kubectl wraps its object in, after the magic prefix."""
    type_meta = field(1, api_version) + field(2, kind)
    return K8S_MAGIC + field(1, type_meta) + field(2, raw) + field(3, content_encoding)


@pytest.mark.parametrize("name", CAPTURED)
def test_a_captured_body_decodes_to_the_json_kubectl_would_send(name):
    sent_as_json = json.loads((FIXTURES / f"{name}.json").read_text())

    decoded = decode(captured_body(name))

    assert without_empty_values(decoded) == without_empty_values(sent_as_json)


def test_fields_upstream_writes_empty_are_omitted():
    # kubectl writes generateName "", namespace "", generation 0, an empty creationTimestamp...
    deployment = decode(captured_body("deployment"))

    assert deployment["metadata"] == {"name": "web", "labels": {"app": "web"}}
    assert deployment["spec"]["template"]["spec"] == {
        "containers": [{"name": "nginx", "image": "nginx"}]
    }
    assert "strategy" not in deployment["spec"]
    assert "status" not in deployment


def test_a_pointer_field_keeps_its_zero():
    deployment = decode(captured_body("deployment-zero-replicas"))

    assert deployment["spec"]["replicas"] == 0


def test_a_pointer_field_keeps_its_empty_struct():
    job = decode(captured_body("job-from-cronjob"))

    assert job["spec"]["template"]["spec"]["volumes"][0] == {"name": "cache", "emptyDir": {}}


def test_a_body_without_the_magic_prefix_is_refused():
    body = captured_body("namespace")

    with pytest.raises(ProtobufError, match="prefix"):
        decode(body.removeprefix(K8S_MAGIC))
    with pytest.raises(ProtobufError, match="prefix"):
        decode(b'{"apiVersion": "v1", "kind": "Namespace"}')


def test_a_body_cut_anywhere_before_the_end_of_its_object_is_refused():
    body = captured_body("deployment")
    # After the object come the empty contentEncoding and contentType: 2 bytes each.
    assert body.endswith(field(3, "") + field(4, ""))
    end_of_object = len(body) - 4

    decoded_anyway = []
    for cut in range(len(K8S_MAGIC), end_of_object):
        try:
            decode(body[:cut])
        except ProtobufError:
            continue
        decoded_anyway.append(cut)

    assert decoded_anyway == []


def test_unknown_fields_are_skipped_whatever_their_wire_type():
    unknown_fields = (
        field(90, 7)  # varint
        + field(91, "newer")  # length-delimited
        + varint(92 << 3 | 1)  # fixed64
        + bytes(8)
        + varint(93 << 3 | 5)  # fixed32
        + bytes(4)
    )
    metadata = field(1, "team-a") + unknown_fields
    namespace = field(1, metadata) + unknown_fields + field(2, field(1, "kubernetes"))

    decoded = decode(envelope("v1", "Namespace", namespace))

    assert decoded == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "team-a"},
        "spec": {"finalizers": ["kubernetes"]},
    }


def test_a_kind_without_a_schema_is_refused():
    with pytest.raises(ProtobufError, match="ResourceQuota"):
        decode(envelope("v1", "ResourceQuota", field(1, field(1, "quota"))))


def test_a_field_of_the_wrong_wire_type_is_refused():
    name_as_a_number = field(1, field(1, 42))

    with pytest.raises(ProtobufError, match="ObjectMeta.name"):
        decode(envelope("v1", "Namespace", name_as_a_number))


def test_a_string_that_is_not_utf8_is_refused():
    with pytest.raises(ProtobufError, match="UTF-8"):
        decode(envelope("v1", "Namespace", field(1, field(1, b"\xff\xfe"))))


def test_a_compressed_object_is_refused():
    with pytest.raises(ProtobufError, match="gzip"):
        decode(envelope("v1", "Namespace", b"", content_encoding="gzip"))


def test_a_set_time_decodes_to_rfc3339_in_whole_seconds():
    created = field(1, 1_700_000_000) + field(2, 500_000_000)
    metadata = field(1, "team-a") + field(8, created)

    decoded = decode(envelope("v1", "Namespace", field(1, metadata)))

    assert decoded["metadata"]["creationTimestamp"] == "2023-11-14T22:13:20Z"


def test_repeated_numbers_decode_alike_packed_or_not():
    groups = [1, 2, 300]
    unpacked = b"".join(field(4, group) for group in groups)
    packed = field(4, b"".join(varint(group) for group in groups))

    def supplemental_groups(security_context: bytes) -> list[int]:
        pod = field(2, field(14, security_context))
        decoded = decode(envelope("v1", "Pod", pod))
        return decoded["spec"]["securityContext"]["supplementalGroups"]

    assert supplemental_groups(unpacked) == supplemental_groups(packed) == groups


def test_a_negative_number_decodes_as_negative():
    pod = field(2, field(25, -5))  # PodSpec.priority

    assert decode(envelope("v1", "Pod", pod))["spec"]["priority"] == -5
