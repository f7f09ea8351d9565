"""Discovery: which groups, versions and resources a sandbox's API serves.

kubectl asks `/api` and `/apis` for the aggregated form (apidiscovery.k8s.io/v2), which
names every resource in one answer; `kubectl drain` and the Python client's
DynamicClient read the legacy lists (`/api/v1`, `/apis/apps/v1`). Both are built here
from the resources the API server serves (cluster.resources.RESOURCES), so a resource
added there is discovered without more code.
"""

from __future__ import annotations

from cluster.resources import RESOURCES, ResourceType

# The media type of the aggregated form; kubectl reads it from the answer's Content-Type.
AGGREGATED_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
# Served, never stored: POST namespaces/<ns>/bindings binds the pod its body names
# (kubeapi/objects.py), and upstream lists it first in /api/v1.
BINDINGS = ResourceType(
    name="bindings",
    singular="binding",
    kind="Binding",
    group="",
    version="v1",
    namespaced=True,
    validate=lambda obj, old: [],
    has_status=False,
    verbs=("create",),
)

# subresource -> (group, version, kind) of its body, and its verbs.
_SUBRESOURCES = {
    "status": (None, ["get", "patch", "update"]),
    "binding": (("", "v1", "Binding"), ["create"]),
    "log": (("", "v1", "Pod"), ["get"]),
    "eviction": (("policy", "v1", "Eviction"), ["create"]),
    "scale": (("autoscaling", "v1", "Scale"), ["get", "patch", "update"]),
    "finalize": (None, ["update"]),
}


def group_versions() -> dict[str, list[str]]:
    """group ("" for core) -> its versions, in the order upstream lists them."""
    groups: dict[str, list[str]] = {}
    for rt in served():
        versions = groups.setdefault(rt.group, [])
        if rt.version not in versions:
            versions.append(rt.version)
    return groups


def resources_of(group: str, version: str) -> list[ResourceType]:
    return [rt for rt in served() if (rt.group, rt.version) == (group, version)]


def api_versions(server_address: str) -> dict:
    """GET /api, legacy."""
    return {
        "kind": "APIVersions",
        "versions": group_versions().get("", []),
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def api_group_list() -> dict:
    """GET /apis, legacy: the named groups."""
    groups = []
    for group, versions in group_versions().items():
        if not group:
            continue
        listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        groups.append({"name": group, "versions": listed, "preferredVersion": listed[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_resource_list(group: str, version: str) -> dict | None:
    """GET /api/v1 or /apis/<group>/<version>, legacy; None for a version not served."""
    served = resources_of(group, version)
    if not served:
        return None
    resources = []
    for rt in served:
        entry = {
            "name": rt.name,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": sorted(rt.verbs),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        resources.append(entry)
        for subresource in rt.subresources:
            body, verbs = _SUBRESOURCES[subresource]
            sub = {
                "name": f"{rt.name}/{subresource}",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": body[2] if body else rt.kind,
                "verbs": verbs,
            }
            if body and body[0] != rt.group:
                sub |= {"group": body[0], "version": body[1]}
            resources.append(sub)
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


def aggregated(core: bool) -> dict:
    """GET /api (core=True) or /apis, aggregated (apidiscovery.k8s.io/v2)."""
    items = []
    for group, versions in group_versions().items():
        if (group == "") != core:
            continue
        items.append(
            {
                "metadata": {"name": group},
                "versions": [
                    {
                        "version": version,
                        "resources": [
                            _aggregated_resource(rt) for rt in resources_of(group, version)
                        ],
                        "freshness": "Current",
                    }
                    for version in versions
                ],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }


def _aggregated_resource(rt: ResourceType) -> dict:
    entry: dict = {
        "resource": rt.name,
        "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "scope": "Namespaced" if rt.namespaced else "Cluster",
        "singularResource": rt.singular,
        "verbs": sorted(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    subresources = []
    for subresource in rt.subresources:
        body, verbs = _SUBRESOURCES[subresource]
        group, version, kind = body or (rt.group, rt.version, rt.kind)
        subresources.append(
            {
                "subresource": subresource,
                "responseKind": {"group": group, "version": version, "kind": kind},
                "verbs": verbs,
            }
        )
    if subresources:
        entry["subresources"] = subresources
    return entry


def served() -> list[ResourceType]:
    """Every resource discovery lists, bindings too (kubectl api-resources shows them)."""
    return [BINDINGS, *RESOURCES.values()]
