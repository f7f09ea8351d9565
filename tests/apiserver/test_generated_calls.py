"""Generated manifests and API calls, well-formed and not, against the real API server on
the test database (hypothesis; the example budget is the "podlab" profile in
tests/conftest.py, derandomized so that CI runs the same cases every time).

For every call: it answers, or raises ApiError with a 4xx code (never anything else,
never a 5xx); a refused call leaves the store's revision where it was; and after each
example every stored object is one JSON can carry and validates as an unchanged update
of itself, so nothing the generated calls got past the API server is broken.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
import yaml
from hypothesis import given, note, settings
from hypothesis import strategies as st

from cluster.apiserver import ApiError, ApiServer
from cluster.apiserver.decoding import body_problem
from cluster.resources import RESOURCES
from cluster.resources.keys import parse_key
from sandbox.manifests import manifests_create
from tests.apiserver.manifests import pod_manifest, workload_manifest

pytestmark = pytest.mark.django_db

# Mostly the names the well-formed manifests use, so calls meet the objects they made.
NAMES = st.one_of(
    st.just("web"), st.just("web"), st.sampled_from(["db", "x", "web-1", ""]), st.text(max_size=12)
)
NAMESPACES = st.one_of(
    st.just("default"),
    st.just("default"),
    st.sampled_from(["lab", "kube-system", "", "nowhere"]),
    st.text(max_size=8),
)
RESOURCE_NAMES = st.sampled_from(sorted(RESOURCES))

# JSON-ish values: everything JSON has, at its edges (integers past 64 bits, NaN, long
# strings), and what a Python caller or a YAML document can add (keys that are not
# strings, tuples, bytes).
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**30, 2**31, -1, 0])
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["Always", "nginx", "100m", "1Gi", "web", "default"])
    | st.integers(250, 4400).map(lambda length: "1" + "0" * length)  # past 4,300 digits
    | st.integers(60, 300).map(lambda length: "a" * length)  # past a label, a name
)
KEYS = st.text(max_size=10) | st.sampled_from(["metadata", "spec", "status", "name"])
ODD_KEYS = KEYS | st.integers(-5, 5) | st.none()
JSONISH = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(KEYS, children, max_size=4)
        | st.dictionaries(ODD_KEYS, children, max_size=2)
    ),
    max_leaves=12,
)

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web"},
    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
}
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab"}}
WELL_FORMED = {
    "pods": pod_manifest("web"),
    "replicasets": workload_manifest("ReplicaSet", "web"),
    "deployments": workload_manifest("Deployment", "web"),
    "replicationcontrollers": workload_manifest("ReplicationController", "web"),
    "services": SERVICE,
    "namespaces": NAMESPACE,
}


def paths_of(value: object, path: tuple = ()) -> list[tuple]:
    """Every place in a JSON value a mutation can replace: dict keys and list items."""
    places = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            places += paths_of(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            places += paths_of(child, (*path, index))
    return places


def replaced(value: object, path: tuple, new: object) -> object:
    """value with the place at path replaced by new (paths_of's places)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    copied = copy.copy(value)
    copied[head] = replaced(value[head], rest, new)  # type: ignore[index]
    return copied


@st.composite
def manifests(draw) -> tuple[str, object]:
    """A well-formed manifest with up to three of its values replaced by anything, and
    maybe a field its type does not have."""
    resource = draw(st.sampled_from(sorted(WELL_FORMED)))
    manifest: object = copy.deepcopy(WELL_FORMED[resource])
    # Untouched two times in five, so that calls also meet objects that exist.
    mutations = draw(st.sampled_from([0, 0, 1, 2, 3]))
    places = paths_of(manifest)
    chosen = draw(st.lists(st.sampled_from(places), min_size=mutations, max_size=mutations))
    chosen = list(dict.fromkeys(chosen))
    # Deepest first, so that no replacement removes a place still to be replaced.
    for path in sorted(chosen, key=len, reverse=True):
        manifest = replaced(manifest, path, draw(JSONISH))
    if mutations and draw(st.booleans()) and isinstance(manifest, dict):
        manifest = {**manifest, draw(KEYS): draw(JSONISH)}
    return resource, manifest


def calls(api: ApiServer) -> st.SearchStrategy[tuple[str, Callable[[], object]]]:
    """One API call, described (for hypothesis's report) and ready to make."""

    def make(name: str, call: Callable[[], object]) -> tuple[str, Callable[[], object]]:
        return name, call

    create = st.builds(
        lambda made, namespace: make(
            f"create {made[0]} in {namespace!r}: {made[1]!r:.300}",
            lambda: api.create(made[0], made[1], namespace=namespace),
        ),
        manifests(),
        NAMESPACES,
    )
    update = st.builds(
        lambda made, subresource: make(
            f"update {made[0]}/{subresource}: {made[1]!r:.300}",
            lambda: api.update(made[0], made[1], namespace="default", subresource=subresource),
        ),
        manifests(),
        st.sampled_from(["", "status", "scale"]),
    )
    patch = st.builds(
        lambda resource, name, body, patch_type, subresource: make(
            f"patch {resource}/{subresource} {name!r} ({patch_type}): {body!r:.300}",
            lambda: api.patch(
                resource,
                name,
                body,
                patch_type=patch_type,
                namespace="default",
                subresource=subresource,
            ),
        ),
        RESOURCE_NAMES,
        NAMES,
        JSONISH
        | st.lists(
            st.fixed_dictionaries(
                {"op": st.sampled_from(["add", "replace", "remove", "move", "test"])},
                optional={"path": st.text(max_size=12), "value": JSONISH, "from": KEYS},
            ),
            max_size=3,
        ),
        st.sampled_from(["merge", "json", "strategic"]),
        st.sampled_from(["", "", "status", "scale"]),
    )
    delete = st.builds(
        lambda resource, name, namespace, grace, policy, preconditions: make(
            f"delete {resource} {name!r} in {namespace!r}, grace {grace!r}, {policy!r},"
            f" {preconditions!r}",
            lambda: api.delete(
                resource,
                name,
                namespace=namespace,
                grace_period_seconds=grace,
                propagation_policy=policy,
                preconditions=preconditions,
            ),
        ),
        RESOURCE_NAMES,
        NAMES,
        NAMESPACES,
        st.none() | st.integers() | SCALARS,
        st.none() | st.sampled_from(["Orphan", "Foreground", "Background"]) | SCALARS,
        st.none() | st.dictionaries(st.sampled_from(["uid", "resourceVersion"]), SCALARS),
    )
    read = st.builds(
        lambda resource, name, namespace, selector, limit, token: make(
            f"get and list {resource} {name!r} in {namespace!r} with {selector!r},"
            f" limit {limit!r}, continue {token!r}",
            lambda: (
                api.list(
                    resource,
                    namespace=namespace,
                    label_selector=selector,
                    limit=limit,
                    continue_token=token,
                ),
                api.get(resource, name, namespace=namespace),
            ),
        ),
        RESOURCE_NAMES,
        NAMES,
        NAMESPACES,
        st.text(max_size=12),
        st.none() | st.integers() | SCALARS,
        st.just("") | st.text(max_size=12),
    )
    watch = st.builds(
        lambda resource, version, selector: make(
            f"watch {resource} from {version!r} with {selector!r}",
            lambda: api.watch(resource, resource_version=version, field_selector=selector),
        ),
        RESOURCE_NAMES,
        st.sampled_from(["", "0", "1", "-1", "999999999999999999999"]) | st.text(max_size=6),
        st.text(max_size=12),
    )
    bind = st.builds(
        lambda pod, node: make(
            f"bind {pod!r} to {node!r}", lambda: api.bind(pod, node, namespace="default")
        ),
        NAMES,
        st.sampled_from(["node-1", "node-2", ""]) | st.text(max_size=6),
    )
    return st.one_of(create, create, update, patch, delete, read, watch, bind)


def answered_or_refused_cleanly(api: ApiServer, description: str, call: Callable) -> None:
    note(description)
    before = api.store.revision()
    try:
        call()
    except ApiError as error:
        assert 400 <= error.code < 500, f"{description} -> {error.code} {error.message}"
        assert api.store.revision() == before, f"{description} was refused but wrote"


def assert_every_stored_object_validates(api: ApiServer) -> None:
    """Read as the operator's etcdctl would, in one range: every object JSON can carry,
    and valid as an unchanged update of itself."""
    for kv in api.store.range("/registry/").items:
        ref = parse_key(kv.key)
        if ref is None:
            continue  # the allocators' own records
        assert body_problem(kv.value) is None, kv.key
        problems = ref.rt.validate(kv.value, kv.value)
        assert problems == [], (kv.key, [p.message for p in problems])


# The three tests share the profile's budget: 80 + 80 + 40 examples in CI.
@settings(max_examples=settings().max_examples * 4 // 10)
@given(made=manifests())
def test_a_generated_manifest_is_created_or_refused_with_a_4xx_that_wrote_nothing(api, made):
    resource, manifest = made
    answered_or_refused_cleanly(
        api,
        f"create {resource}: {manifest!r:.500}",
        lambda: api.create(resource, manifest, namespace="default"),
    )
    assert_every_stored_object_validates(api)


@settings(max_examples=settings().max_examples * 4 // 10)
@given(data=st.data())
def test_generated_sequences_of_calls_never_answer_5xx_and_leave_valid_objects(api, data):
    for _ in range(data.draw(st.integers(1, 6))):
        description, call = data.draw(calls(api))
        answered_or_refused_cleanly(api, description, call)
    assert_every_stored_object_validates(api)


def yaml_of(manifest: object) -> str:
    """The manifest as a student might type it; values YAML cannot write become text."""
    try:
        return yaml.safe_dump(manifest, sort_keys=False)
    except yaml.YAMLError:
        return repr(manifest)


YAML_PIECES = st.sampled_from(
    [
        "&a [1, 2]",
        "*a",
        "*nowhere",
        "[[[[",
        "]]",
        "{",
        ": :",
        "? [a]\n: b",
        "!!binary aGk=",
        "!!set {a, b}",
        "2026-12-06",
        "0x1F",
        ".nan",
        "-.inf",
        "~",
        "'",
        '"\\x00"',
        "---",
        "\t",
        "%YAML 1.1",
        "key: &b {x: *b}",
    ]
)


@st.composite
def yaml_texts(draw) -> str:
    """One to three generated manifests as YAML, with pieces of YAML spliced in."""
    texts = [yaml_of(draw(manifests())[1]) for _ in range(draw(st.integers(1, 3)))]
    text = "---\n".join(texts)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(YAML_PIECES | st.text(max_size=6)) + text[at:]
    return text


@settings(max_examples=settings().max_examples * 2 // 10)
@given(text=yaml_texts())
def test_generated_yaml_in_the_editor_is_created_or_answered_with_a_4xx(api, text):
    note(text)
    before = api.store.revision()
    result = manifests_create(api, text)
    statuses = [document.error for document in result.documents if document.error]
    assert all(400 <= status["code"] < 500 for status in statuses), statuses
    if result.parse_error or not any(document.summary for document in result.documents):
        assert api.store.revision() == before
    assert_every_stored_object_validates(api)
