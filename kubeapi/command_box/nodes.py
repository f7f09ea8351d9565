"""`kubectl cordon`, `uncordon`, `drain` and `taint` as kubectl does them (client-side,
from ordinary calls), with kubectl's lines for each node and pod."""

from __future__ import annotations

from cluster.apiserver import ApiError, ApiServer
from cluster.node_operations import set_taints, without_key
from kubeapi.command_box.grammar import UsageError

EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def cordon(api: ApiServer, names: list[str], *, unschedulable: bool) -> str:
    word = "cordoned" if unschedulable else "uncordoned"
    lines = []
    for name in names:
        node = api.get("nodes", name)
        if bool(node.get("spec", {}).get("unschedulable")) == unschedulable:
            lines.append(f"node/{name} already {word}")
            continue
        # kubectl's patch: true to cordon, null (the field removed) to uncordon.
        api.patch(
            "nodes",
            name,
            {"spec": {"unschedulable": True if unschedulable else None}},
            patch_type="strategic",
        )
        lines.append(f"node/{name} {word}")
    return "\n".join(lines)


def drain(api: ApiServer, name: str, *, force: bool) -> str:
    """Cordon, then evict every pod bound to the node; pods no controller owns need
    --force, as kubectl refuses them otherwise (nothing would replace them). The box
    does not wait for the pods to go: the diagram shows them go."""
    lines = [cordon(api, [name], unschedulable=True)]
    pods = api.list("pods", field_selector=f"spec.nodeName={name}")["items"]
    pods = [p for p in pods if p.get("status", {}).get("phase") not in ("Succeeded", "Failed")]
    unmanaged = [
        f"{p['metadata']['namespace']}/{p['metadata']['name']}"
        for p in pods
        if not any(ref.get("controller") for ref in p["metadata"].get("ownerReferences") or [])
    ]
    if unmanaged and not force:
        return "\n".join(
            [
                *lines,
                f'error: unable to drain node "{name}" due to error: cannot delete Pods that'
                " declare no controller (use --force to override): "
                + ", ".join(unmanaged)
                + ", continuing command...",
                "There are pending nodes to be drained:",
                f" {name}",
                "cannot delete Pods that declare no controller (use --force to override): "
                + ", ".join(unmanaged),
            ]
        )
    if unmanaged:
        lines.append("Warning: deleting Pods that declare no controller: " + ", ".join(unmanaged))
    for pod in pods:
        meta = pod["metadata"]
        lines.append(f"evicting pod {meta['namespace']}/{meta['name']}")
    for pod in pods:
        meta = pod["metadata"]
        eviction = {
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
        }
        try:
            api.evict(meta["name"], eviction, namespace=meta["namespace"])
            lines.append(f"pod/{meta['name']} evicted")
        except ApiError as error:
            if error.code != 404:
                raise
    lines.append(f"node/{name} drained")
    return "\n".join(lines)


def taint(api: ApiServer, name: str, changes: list[str], *, overwrite: bool) -> str:
    """`key=value:Effect` adds (or with --overwrite replaces), `key:Effect-` and `key-`
    remove, as kubectl's taint command parses them."""
    node = api.get("nodes", name)
    taints = list(node.get("spec", {}).get("taints") or [])
    removed = False
    for change in changes:
        if change.endswith("-"):
            spec = change[:-1]
            key, _, effect = spec.partition(":")
            kept = [t for t in taints if not (t["key"] == key and effect in ("", t["effect"]))]
            if len(kept) == len(taints):
                raise UsageError(f"error: taint {spec!r} not found")
            taints = kept if effect else without_key(taints, key)
            removed = True
            continue
        key_value, _, effect = change.partition(":")
        key, _, value = key_value.partition("=")
        if effect not in EFFECTS:
            raise UsageError(
                f"error: invalid taint effect: {effect}, unsupported taint effect"
                if effect
                else f"error: invalid taint spec: {change}, unknown taint effect"
            )
        new = {"key": key, "effect": effect, **({"value": value} if value else {})}
        clash = [t for t in taints if t["key"] == key and t["effect"] == effect]
        if clash and not overwrite:
            raise UsageError(
                f"error: node {name} already has {key} taint(s) with same effect(s)"
                " and --overwrite is false"
            )
        taints = [t for t in taints if not (t["key"] == key and t["effect"] == effect)] + [new]
    set_taints(api, name, taints)
    return f"node/{name} {'untainted' if removed else 'tainted'}"
