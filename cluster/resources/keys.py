"""Store keys: the one place that builds and parses `/registry/...` keys.

The layout is kube-apiserver's in etcd: `/registry/<resource>/<namespace>/<name>`
for namespaced objects, `/registry/<resource>/<name>` for cluster-scoped ones,
where <resource> is the type's storage prefix ("services/specs", "controllers").
The allocators keep their bitmaps and claims beside the objects, as upstream's do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # types.py builds its key prefix from REGISTRY_ROOT below
    from cluster.resources.types import ResourceType

REGISTRY_ROOT = "/registry/"
# The Service allocators' records (upstream's IPAddress objects and the node-port range).
IP_ADDRESS_PREFIX = f"{REGISTRY_ROOT}ipaddresses/"
NODE_PORT_RANGE_KEY = f"{REGISTRY_ROOT}ranges/servicenodeports"


# Upstream keeps services and their endpoints under two-segment prefixes:
# /registry/services/specs/ns/name, /registry/services/endpoints/ns/name.
_TWO_SEGMENT_PREFIXES = ("services",)


class ObjectRef(NamedTuple):
    """What a key names: the object's type, namespace ("" when cluster-scoped) and name."""

    rt: ResourceType
    namespace: str
    name: str


def collection_key(rt: ResourceType, namespace: str = "") -> str:
    """The prefix a list or watch reads: every object of the type, or those of a namespace."""
    if namespace and rt.namespaced:
        return f"{rt.key_prefix}{namespace}/"
    return rt.key_prefix


def object_key(rt: ResourceType, namespace: str, name: str) -> str:
    return f"{collection_key(rt, namespace)}{name}"


def namespace_key(name: str) -> str:
    from cluster.resources import RESOURCES

    return object_key(RESOURCES["namespaces"], "", name)


def ip_address_key(ip: str) -> str:
    return f"{IP_ADDRESS_PREFIX}{ip}"


def resource_of_key(key: str) -> ResourceType | None:
    """The type whose objects live under this key ("/registry/services/specs/..."): the
    longest matching prefix, since "/registry/services/" holds specs and endpoints."""
    from cluster.resources import RESOURCES

    matches = [rt for rt in RESOURCES.values() if key.startswith(rt.key_prefix)]
    return max(matches, key=lambda rt: len(rt.key_prefix), default=None)


def parse_key(key: str) -> ObjectRef | None:
    """The object a key names, or None for a key that is not an object's."""
    rt = resource_of_key(key)
    if rt is None:
        return None
    rest = key[len(rt.key_prefix) :]
    namespace, _, name = rest.rpartition("/") if rt.namespaced else ("", "", rest)
    if not name or "/" in namespace or (rt.namespaced and not namespace):
        return None
    return ObjectRef(rt, namespace, name)


def split_key(key: str) -> tuple[str, str, str]:
    """The store's indexed columns of any registry key (the store knows no types):
    '/registry/pods/ns/name' -> ('pods', 'ns', 'name'); cluster-scoped keys have no ns;
    '/registry/services/specs/ns/name' -> ('services/specs', 'ns', 'name')."""
    parts = key.split("/")
    if len(parts) == 6 and parts[:2] == ["", "registry"] and parts[2] in _TWO_SEGMENT_PREFIXES:
        return f"{parts[2]}/{parts[3]}", parts[4], parts[5]
    if len(parts) == 5 and parts[:2] == ["", "registry"]:
        return parts[2], parts[3], parts[4]
    if len(parts) == 4 and parts[:2] == ["", "registry"]:
        return parts[2], "", parts[3]
    raise ValueError(f"not a registry key: {key!r}")
