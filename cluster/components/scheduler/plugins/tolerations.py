"""Does a pod tolerate a taint? (upstream Toleration.ToleratesTaint)"""

from __future__ import annotations


def tolerates(toleration: dict, taint: dict) -> bool:
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    # A missing value and an empty one are the same taint value.
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def any_tolerates(tolerations: list[dict], taint: dict) -> bool:
    return any(tolerates(toleration, taint) for toleration in tolerations)


def pod_tolerations(pod: dict) -> list[dict]:
    return (pod.get("spec") or {}).get("tolerations") or []


def node_taints(node: dict) -> list[dict]:
    return (node.get("spec") or {}).get("taints") or []
