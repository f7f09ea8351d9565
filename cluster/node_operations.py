"""What `kubectl cordon`, `uncordon`, `drain` and `taint` do to a node: client-side
operations made of ordinary API calls, as kubectl makes them. The node panel, the admin
and the command box share them, so each reaches the API server the same way.

The caller builds the ApiServer (as the user, with the kubectl command it stands for):
every call is authorized and traced like any other.
"""

from __future__ import annotations

from cluster.apiserver import ApiServer


def cordon(api: ApiServer, node: str) -> dict:
    """Mark the node unschedulable: the scheduler's NodeUnschedulable filter skips it."""
    return api.patch("nodes", node, {"spec": {"unschedulable": True}})


def uncordon(api: ApiServer, node: str) -> dict:
    # A merge patch's null removes the field, as kubectl's patch does.
    return api.patch("nodes", node, {"spec": {"unschedulable": None}})


def drain(api: ApiServer, node: str) -> list[str]:
    """`kubectl drain --ignore-daemonsets --force --disable-eviction`: cordon, then delete
    every pod bound to the node (their controllers make replacements elsewhere). Returns
    the pods asked to go, as "namespace/name"."""
    cordon(api, node)
    deleted = []
    for pod in api.list("pods", field_selector=f"spec.nodeName={node}")["items"]:
        meta = pod["metadata"]
        api.delete("pods", meta["name"], namespace=meta["namespace"])
        deleted.append(f"{meta['namespace']}/{meta['name']}")
    return deleted


def taints_with(taints: list[dict], taint: dict) -> list[dict]:
    """`kubectl taint nodes n key=value:Effect`: the taints of that key replaced by this one."""
    return [*without_key(taints, taint["key"]), taint]


def without_key(taints: list[dict], key: str) -> list[dict]:
    """`kubectl taint nodes n key-`: every effect of the key goes."""
    return [t for t in taints if t.get("key") != key]


def set_taints(api: ApiServer, node: str, taints: list[dict]) -> dict:
    return api.patch("nodes", node, {"spec": {"taints": taints or None}})
