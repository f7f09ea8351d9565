"""The YAML editor with bad input: each error shows next to its line, nothing is created,
and YAML built to exhaust the server (nesting, alias bombs) is refused fast in flat memory."""

from __future__ import annotations

import html
import time
import tracemalloc

import pytest

from cluster.apiserver import ApiServer
from sandbox.manifest_yaml import MAX_DEPTH, MAX_DOCUMENTS, YamlRefused, load_documents
from sandbox.manifests import manifests_create
from tests.web.test_panels import pod_form

pytestmark = pytest.mark.django_db

POD = """apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx
"""


def post(client, sandbox, text: str):
    return client.post(
        f"/sandboxes/{sandbox.pk}/manifests/", {"manifest": text}, HTTP_HX_REQUEST="true"
    )


def pod_names(sandbox, alice) -> list[str]:
    pods = ApiServer.as_user(sandbox, alice).list("pods", namespace="default")["items"]
    return [pod["metadata"]["name"] for pod in pods]


@pytest.mark.parametrize(
    ("text", "line", "shown"),
    [
        (
            POD.replace("kind: Pod", "kind: [Pod]"),
            2,
            "kind: must be a string",
        ),
        (
            POD.replace("metadata:\n  name: web", "metadata: [x]"),
            3,
            "metadata: json: cannot unmarshal array into Go struct field Pod.metadata of type"
            " v1.ObjectMeta",
        ),
        (
            POD.replace("name: web", "name: [x]"),
            4,
            "metadata.name: json: cannot unmarshal array into Go struct field"
            " ObjectMeta.metadata.name of type string",
        ),
        (
            POD.replace("name: web", "name: web\n  namespace: 5"),
            5,
            "metadata.namespace: json: cannot unmarshal number into Go struct field"
            " ObjectMeta.metadata.namespace of type string",
        ),
        (
            POD.replace("name: web", "name: web\n  labels:\n    5: x"),
            6,
            "metadata.labels[5]: json: object keys must be strings, not number 5",
        ),
        (
            POD.replace("name: web", "name: web\n  annotations:\n    note: [x]"),
            6,
            'metadata.annotations[note]: Invalid value: ["x"]: must be a string',
        ),
        (
            POD.replace("image: nginx", "image: nginx\n      command: 5"),
            9,
            "spec.containers[0].command: Invalid value: 5: must be a list of strings",
        ),
        (
            POD.replace("image: nginx", "image: nginx\n      args: [sleep, 5]"),
            9,
            "spec.containers[0].args[1]: Invalid value: 5: must be a string",
        ),
        (
            POD.replace("image: nginx", "image: nginx\n      args: [99999999999999999999999]"),
            9,
            "spec.containers[0].args[0]: json: cannot unmarshal number 99999999999999999999999"
            " into an int64",
        ),
    ],
    ids=[
        "kind is a list",
        "metadata is a list",
        "name is a list",
        "namespace is a number",
        "label key is a number",
        "annotation value is a list",
        "command is a number",
        "an arg is a number",
        "an arg past int64",
    ],
)
def test_the_editor_shows_each_refusal_next_to_its_field_and_creates_nothing(
    client, sandbox, alice, text, line, shown
):
    client.force_login(alice)
    response = post(client, sandbox, text)
    page = html.unescape(response.content.decode())
    assert response.status_code == 422
    assert f'data-line="{line}">⚠ {shown}' in page
    assert pod_names(sandbox, alice) == []


def test_a_date_stays_the_string_it_was_written_as(sandbox, alice):
    text = POD.replace("name: web", "name: web\n  annotations:\n    since: 2026-12-06")
    result = manifests_create(ApiServer.as_user(sandbox, alice), text)
    assert result.documents[0].summary == "pod/web created"
    pod = ApiServer.as_user(sandbox, alice).get("pods", "web", namespace="default")
    assert pod["metadata"]["annotations"] == {"since": "2026-12-06"}


def nested(depth: int) -> str:
    return POD + "extra: " + "[" * depth + "]" * depth + "\n"


def billion_laughs() -> str:
    """Nine levels of ten aliases each, under a field the API server does not know:
    10**9 strings once expanded, a few hundred bytes as text."""
    lines = ['  l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*l{level - 1}"] * 10)
        lines.append(f"  l{level}: &l{level} [{refs}]")
    return POD + "laughs:\n" + "\n".join(lines) + "\n"


def measured(call) -> tuple[object, float, int]:
    """The call's result, its seconds, and the peak of memory it allocated (bytes)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = call()
    finally:
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, seconds, peak


@pytest.mark.parametrize(
    ("text", "problem", "line"),
    [
        (nested(MAX_DEPTH + 1), f"yaml: exceeded max depth of {MAX_DEPTH}", 9),
        # libyaml stops at 1,000 levels itself, in its own words.
        (nested(5000), "depth", 9),
        # Expanded, the fifth level holds 10**5 strings: past the limit there.
        (billion_laughs(), "yaml: document contains excessive aliasing", 14),
    ],
    ids=["nested past the limit", "nested 5000 deep", "billion laughs"],
)
def test_yaml_built_to_exhaust_the_server_is_refused_fast_in_flat_memory(
    sandbox, alice, text, problem, line
):
    api = ApiServer.as_user(sandbox, alice)
    before = api.store.revision()
    result, seconds, peak = measured(lambda: manifests_create(api, text))
    assert result.parse_error.startswith("YAML syntax error: ")
    assert problem in result.parse_error
    assert result.parse_error_line == line
    assert seconds < 0.5
    assert peak < 2 * 1024 * 1024  # the text is a few kB; nothing is expanded or built
    assert api.store.revision() == before


def test_the_editor_answers_an_alias_bomb_with_its_line(client, sandbox, alice):
    client.force_login(alice)
    response, seconds, _ = measured(lambda: post(client, sandbox, billion_laughs()))
    assert response.status_code == 422
    assert "document contains excessive aliasing" in response.content.decode()
    assert seconds < 1.0
    assert pod_names(sandbox, alice) == []


def test_an_alias_that_contains_itself_is_refused():
    with pytest.raises(YamlRefused) as refused:
        load_documents("a: &a [1, *a]\n")
    assert refused.value.problem == "yaml: an alias may not refer to a node it is in"


def test_ordinary_anchors_and_aliases_still_work():
    [(_, manifest)] = load_documents("a: &env [x, y]\nb: *env\n")
    assert manifest == {"a": ["x", "y"], "b": ["x", "y"]}


def test_too_many_documents_are_refused_before_any_is_created(sandbox, alice):
    api = ApiServer.as_user(sandbox, alice)
    text = "---\n".join(POD.replace("web", f"p{i}") for i in range(MAX_DOCUMENTS + 1))
    result = manifests_create(api, text)
    assert result.parse_error == f"YAML syntax error: more than {MAX_DOCUMENTS} documents"
    assert pod_names(sandbox, alice) == []


@pytest.mark.parametrize(
    ("overrides", "shown"),
    [
        ({"cpu_request": "1" + "0" * 4400}, "spec.containers[0].resources.requests[cpu]"),
        ({"name": "Web Server!"}, "metadata.name: Invalid value"),
        ({"node_selector": "a=" + "b" * 100}, "spec.nodeSelector: Invalid value"),
    ],
    ids=["a quantity too long to count", "a name that is no name", "a label value too long"],
)
def test_the_create_form_shows_a_refusal_at_its_field(client, sandbox, alice, overrides, shown):
    client.force_login(alice)
    response = client.post(
        f"/sandboxes/{sandbox.pk}/pods/new/", pod_form(**overrides), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert shown in html.unescape(response.content.decode())
    assert pod_names(sandbox, alice) == []
