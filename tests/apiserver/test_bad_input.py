"""Bad input gets a clear 4xx Status, names the field and what is wrong, and changes
nothing: not the store, and (for the long names PostgreSQL would refuse) not the call's
own trace either."""

from __future__ import annotations

import pytest

from cluster.apiserver import ApiError, ApiServer
from cluster.apiserver.limits import MAX_REQUEST_BODY_BYTES
from cluster.models import Trace
from tests.apiserver.manifests import pod_manifest, workload_manifest

pytestmark = pytest.mark.django_db


def refused(api: ApiServer, call) -> dict:
    """The Status of a call that must fail with a 4xx and write nothing to the store."""
    before = api.store.revision()
    with pytest.raises(ApiError) as failure:
        call()
    status = failure.value.status()
    assert 400 <= status["code"] < 500, status
    assert api.store.revision() == before, "a refused call wrote to the store"
    return status


def create(api: ApiServer, body: object, resource: str = "pods"):
    return lambda: api.create(resource, body, namespace="default")


def with_meta(**meta) -> dict:
    manifest = pod_manifest("web")
    manifest["metadata"] = meta
    return manifest


DECODE = 'Pod in version "v1" cannot be handled as a Pod: json: '


@pytest.mark.parametrize(
    ("body", "message", "field"),
    [
        (
            {**pod_manifest(), "kind": ["Pod"]},
            "couldn't get version/kind; json parse error: json: cannot unmarshal array into Go"
            " struct field .kind of type string",
            "kind",
        ),
        (
            {**pod_manifest(), "metadata": ["x"]},
            DECODE + "cannot unmarshal array into Go struct field Pod.metadata of type"
            " v1.ObjectMeta",
            "metadata",
        ),
        (
            with_meta(name=["x"]),
            DECODE + "cannot unmarshal array into Go struct field ObjectMeta.metadata.name of"
            " type string",
            "metadata.name",
        ),
        (
            with_meta(name=5),
            DECODE + "cannot unmarshal number into Go struct field ObjectMeta.metadata.name of"
            " type string",
            "metadata.name",
        ),
        (
            with_meta(name="web", namespace=5),
            DECODE + "cannot unmarshal number into Go struct field ObjectMeta.metadata.namespace"
            " of type string",
            "metadata.namespace",
        ),
        (
            with_meta(generateName={"web": 1}),
            DECODE + "cannot unmarshal object into Go struct field"
            " ObjectMeta.metadata.generateName of type string",
            "metadata.generateName",
        ),
        (
            with_meta(name="web", labels={5: "x"}),
            DECODE + "object keys must be strings, not number 5 (at metadata.labels[5])",
            "metadata.labels[5]",
        ),
        (
            with_meta(name="web", annotations={None: "x"}),
            DECODE + "object keys must be strings, not null None (at metadata.annotations[None])",
            "metadata.annotations[None]",
        ),
        (
            pod_manifest(priority=2**64),
            DECODE + "cannot unmarshal number 18446744073709551616 into an int64"
            " (at spec.priority)",
            "spec.priority",
        ),
        (
            {**pod_manifest(), "anything": {"deep": [-(2**63) - 1]}},
            DECODE + "cannot unmarshal number -9223372036854775809 into an int64"
            " (at anything.deep[0])",
            "anything.deep[0]",
        ),
        (
            pod_manifest(terminationGracePeriodSeconds=2**63),
            DECODE + "cannot unmarshal number 9223372036854775808 into an int64"
            " (at spec.terminationGracePeriodSeconds)",
            "spec.terminationGracePeriodSeconds",
        ),
        (
            pod_manifest(priority=float("nan")),
            DECODE + "unsupported value: NaN (at spec.priority)",
            "spec.priority",
        ),
    ],
    ids=[
        "kind is a list",
        "metadata is a list",
        "name is a list",
        "name is a number",
        "namespace is a number",
        "generateName is an object",
        "label key is a number",
        "annotation key is null",
        "integer past int64",
        "integer past int64 under an unknown field",
        "grace period past int64",
        "NaN",
    ],
)
def test_a_body_json_cannot_carry_is_a_bad_request_naming_the_field(api, body, message, field):
    status = refused(api, create(api, body))
    assert (status["code"], status["reason"], status["message"]) == (400, "BadRequest", message)
    assert [cause["field"] for cause in status["details"]["causes"]] == [field]


def test_a_huge_integer_is_named_without_being_printed_whole(api):
    status = refused(api, create(api, pod_manifest(priority=10**4400)))
    assert status["message"] == DECODE + (
        "cannot unmarshal number (a 14617-bit number) into an int64 (at spec.priority)"
    )


def test_a_label_value_that_is_no_string_is_invalid(api):
    body = with_meta(name="web", labels={"app": ["x"]})
    status = refused(api, create(api, body))
    assert status["message"] == (
        'Pod "web" is invalid: metadata.labels[app]: Invalid value: ["x"]: must be a string'
    )


@pytest.mark.parametrize(
    ("container", "message"),
    [
        ({"command": 5}, "spec.containers[0].command: Invalid value: 5: must be a list of strings"),
        (
            {"command": ["sleep", 5]},
            "spec.containers[0].command[1]: Invalid value: 5: must be a string",
        ),
        (
            {"args": [1, 2]},
            "[spec.containers[0].args[0]: Invalid value: 1: must be a string,"
            " spec.containers[0].args[1]: Invalid value: 2: must be a string]",
        ),
        ({"args": "sleep 5"}, 'spec.containers[0].args: Invalid value: "sleep 5": must be a list'),
    ],
)
def test_a_command_or_args_that_are_not_strings_are_invalid(api, container, message):
    body = pod_manifest("web")
    body["spec"]["containers"][0].update(container)
    status = refused(api, create(api, body))
    assert status["code"] == 422
    assert status["message"].startswith(f'Pod "web" is invalid: {message}')


def test_a_quantity_too_long_to_count_is_invalid(api):
    body = pod_manifest("web")
    huge = "1" + "0" * 4400
    body["spec"]["containers"][0]["resources"] = {"requests": {"cpu": huge}}
    status = refused(api, create(api, body))
    assert status["code"] == 422
    [cause] = status["details"]["causes"]
    assert cause["field"] == "spec.containers[0].resources.requests[cpu]"
    assert cause["message"].endswith(
        "quantities must match the regular expression"
        " '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )


def test_a_grace_period_no_calendar_can_hold_is_invalid(api):
    status = refused(api, create(api, pod_manifest(terminationGracePeriodSeconds=2**40)))
    assert status["message"] == (
        'Pod "web" is invalid: spec.terminationGracePeriodSeconds: Invalid value: 1099511627776:'
        " must be between 0 and 2147483647, inclusive"
    )


def running_pod(api: ApiServer, sandbox, name: str = "web") -> tuple[ApiServer, dict]:
    """A pod bound to node-1, and the API server as node-1's kubelet."""
    api.create("pods", pod_manifest(name), namespace="default")
    ApiServer.as_component(sandbox, "scheduler").bind(name, "node-1")
    kubelet = ApiServer.as_component(sandbox, "kubelet/node-1")
    return kubelet, kubelet.get("pods", name, namespace="default")


@pytest.mark.parametrize("exit_code", [2**31, -(2**31) - 1, 2**40])
def test_an_exit_code_past_int32_is_invalid(api, sandbox, exit_code):
    kubelet, pod = running_pod(api, sandbox)
    terminated = {"exitCode": exit_code, "reason": "Error"}
    pod["status"]["containerStatuses"] = [
        {
            "name": "web",
            "image": "nginx",
            "imageID": "",
            "ready": False,
            "restartCount": 0,
            "state": {"terminated": terminated},
        }
    ]
    status = refused(kubelet, lambda: kubelet.update_status("pods", pod, namespace="default"))
    assert status["message"] == (
        f'Pod "web" is invalid: status.containerStatuses[0].state.terminated.exitCode:'
        f" Invalid value: {exit_code}: must be between -2147483648 and 2147483647, inclusive"
    )


def test_a_delete_asking_for_a_grace_period_past_the_calendar_gets_the_longest_there_is(
    api, sandbox
):
    running_pod(api, sandbox)
    deleted = api.delete("pods", "web", namespace="default", grace_period_seconds=2**62)
    assert deleted["metadata"]["deletionGracePeriodSeconds"] == 2**31 - 1


@pytest.mark.parametrize(
    "options",
    [{"grace_period_seconds": "soon"}, {"grace_period_seconds": 2**64}, {"preconditions": ["uid"]}],
    ids=["grace period is a string", "grace period past int64", "preconditions is a list"],
)
def test_delete_options_that_do_not_decode_are_a_bad_request(api, sandbox, options):
    running_pod(api, sandbox)
    status = refused(api, lambda: api.delete("pods", "web", namespace="default", **options))
    assert (status["code"], status["reason"]) == (400, "BadRequest")


def test_a_body_deeper_than_any_object_is_refused_before_anything_walks_it(api):
    deep: object = "bottom"
    for _ in range(5000):  # past Python's recursion limit: a recursive walk would crash
        deep = {"d": deep}
    status = refused(api, create(api, {**pod_manifest(), "nested": deep}))
    assert status["code"] == 400
    assert "json: exceeded max depth of 100" in status["message"]


def test_a_value_shared_until_it_outweighs_a_request_is_too_large_before_it_is_written(api):
    # The shape of a YAML alias bomb: each level holds the one below ten times over, so
    # written out it would be 10**9 strings, while in memory it is ten small lists.
    bomb: object = ["lol"]
    for _ in range(9):
        bomb = [bomb] * 10
    status = refused(api, create(api, {**pod_manifest(), "laughs": bomb}))
    assert (status["code"], status["reason"]) == (413, "RequestEntityTooLarge")
    assert status["message"] == f"Request entity too large: limit is {MAX_REQUEST_BODY_BYTES}"


# -- names, keys and URL parts longer than the trace's columns (PostgreSQL refuses them) --


def latest_trace() -> Trace:
    return Trace.objects.latest("id")


def test_a_name_longer_than_a_dns_subdomain_is_invalid_and_traced_cut(api):
    name = "a" * 300
    status = refused(api, create(api, pod_manifest(name)))
    assert status["code"] == 422
    assert status["details"]["causes"][0] == {
        "reason": "FieldValueInvalid",
        "message": f'Invalid value: "{name}": must be no more than 253 characters',
        "field": "metadata.name",
    }
    trace = latest_trace()
    assert (trace.code, trace.verb) == (422, "create")
    assert len(trace.name) == 253 and trace.name.endswith("…")


def test_a_generated_name_is_cut_as_upstream_cuts_it(api):
    body = pod_manifest("web")
    body["metadata"] = {"generateName": "g" * 300}
    created = api.create("pods", body, namespace="default")
    assert len(created["metadata"]["name"]) == 63
    assert created["metadata"]["name"].startswith("g" * 58)


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.get("pods", "n" * 1000, namespace="default"),
        lambda api: api.get("pods", "web", namespace="s" * 1000),
        lambda api: api.delete("pods", "n" * 1000, namespace="s" * 1000),
        lambda api: api.patch("nodes", "n" * 1000, {"metadata": {"labels": {"a": "b"}}}),
    ],
    ids=["get, long name", "get, long namespace", "delete", "patch of a node"],
)
def test_url_parts_longer_than_the_trace_columns_answer_404_and_are_traced_cut(api, call):
    status = refused(api, lambda: call(api))
    assert status["code"] == 404
    trace = latest_trace()
    assert trace.code == 404
    assert len(trace.namespace) <= 63 and len(trace.name) <= 253


def test_a_list_in_a_namespace_longer_than_its_column_is_empty_and_traced_cut(api):
    assert api.list("pods", namespace="s" * 1000)["items"] == []
    trace = latest_trace()
    assert (trace.verb, trace.code, len(trace.namespace)) == ("list", 200, 63)


def test_a_component_naming_a_long_object_is_answered_and_traced(sandbox):
    kubelet = ApiServer.as_component(sandbox, "kubelet/" + "k" * 400)
    with pytest.raises(ApiError) as failure:
        kubelet.get("nodes", "k" * 400)
    assert failure.value.code in (403, 404)


# -- what the generated calls (test_generated_calls.py) found, kept as plain cases ------


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({**pod_manifest(), "note": "a\x00b"}, "json: strings may not hold the NUL character"),
        ({**pod_manifest(), "a\x00b": 1}, "json: strings may not hold the NUL character"),
        ({**pod_manifest(), "note": "\ud800"}, "json: invalid UTF-8 in string"),
    ],
    ids=["NUL in a value", "NUL in a key", "a lone surrogate"],
)
def test_a_string_the_store_cannot_keep_is_a_bad_request_and_its_trace_is_kept(api, body, detail):
    status = refused(api, create(api, body))
    assert (status["code"], status["reason"]) == (400, "BadRequest")
    assert detail in status["message"]
    assert latest_trace().code == 400  # the refusal's trace quotes it, spelled out


@pytest.mark.parametrize("name", ["a\x00b", "\udc80", "a/b"])
def test_a_url_name_no_key_can_hold_is_not_found(api, name):
    status = refused(api, lambda: api.get("pods", name, namespace="default"))
    assert status["code"] == 404
    assert api.list("pods", namespace=name)["items"] == []


def test_a_create_named_null_is_invalid(api):
    status = refused(api, create(api, with_meta(name=None)))
    assert status["message"] == (
        'Pod "" is invalid: metadata.name: Required value: name or generateName is required'
    )


def test_a_binding_to_a_name_no_node_can_have_is_invalid(api, sandbox):
    api.create("pods", pod_manifest("web"), namespace="default")
    scheduler = ApiServer.as_component(sandbox, "scheduler")
    status = refused(scheduler, lambda: scheduler.bind("web", "Node One!"))
    assert status["code"] == 422
    assert status["message"].startswith('Binding "web" is invalid: target.name: Invalid value:')


def test_a_service_port_of_the_wrong_type_is_invalid(api):
    service = {"metadata": {"name": "web"}, "spec": {"ports": [{"port": [], "protocol": []}]}}
    status = refused(api, create(api, service, "services"))
    assert status["code"] == 422
    assert "spec.ports[0].port" in status["message"]


@pytest.mark.parametrize("resource", ["deployments", "replicasets", "replicationcontrollers"])
def test_replicas_past_int32_are_invalid_and_no_controller_is_asked_for_them(api, resource):
    kind = {
        "deployments": "Deployment",
        "replicasets": "ReplicaSet",
        "replicationcontrollers": "ReplicationController",
    }[resource]
    status = refused(api, create(api, workload_manifest(kind, "web", replicas=2**40), resource))
    assert status["code"] == 422
    assert (
        "spec.replicas: Invalid value: 1099511627776: must be between 0 and 2147483647"
        in (status["message"])
    )


def test_a_scale_past_int32_or_past_int64_is_refused(api):
    api.create("deployments", workload_manifest("Deployment", "web"), namespace="default")
    scale = {"metadata": {"name": "web"}, "spec": {"replicas": 2**40}}
    invalid = refused(
        api, lambda: api.update("deployments", scale, namespace="default", subresource="scale")
    )
    assert invalid["code"] == 422
    scale["spec"]["replicas"] = 2**64
    undecodable = refused(
        api, lambda: api.update("deployments", scale, namespace="default", subresource="scale")
    )
    assert (undecodable["code"], undecodable["reason"]) == (400, "BadRequest")


@pytest.mark.parametrize("patch_type", ["merge", "json"])
def test_a_patch_json_cannot_carry_is_refused_before_it_is_applied(api, patch_type):
    api.create("pods", pod_manifest("web"), namespace="default")
    deep: object = 1
    for _ in range(5000):  # past Python's recursion limit, which applying it would hit
        deep = {"d": deep}
    patch = (
        {"metadata": {"annotations": {"a": "b"}}, "x": deep}
        if patch_type == "merge"
        else [{"op": "add", "path": "/x", "value": deep}]
    )
    status = refused(
        api, lambda: api.patch("pods", "web", patch, patch_type=patch_type, namespace="default")
    )
    assert (status["code"], status["reason"]) == (400, "BadRequest")
    assert status["message"].startswith("error decoding patch: json: exceeded max depth of 100")


@pytest.mark.parametrize(("limit", "code"), [(-1, 200), (0, 200), (2**64, 400), ("ten", 400)])
def test_a_list_limit_is_an_int64_and_none_or_not_positive_means_everything(api, limit, code):
    if code == 200:
        assert api.list("nodes", limit=limit)["items"]
    else:
        assert refused(api, lambda: api.list("nodes", limit=limit))["code"] == code
