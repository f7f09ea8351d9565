"""Label selectors and owner references, as the controllers read them (upstream's
metav1.LabelSelectorAsSelector, labels.SelectorFromSet and metav1.GetControllerOf)."""

from __future__ import annotations

from collections.abc import Mapping


def selector_matches(selector: Mapping | None, labels: Mapping | None) -> bool:
    """A metav1.LabelSelector (matchLabels, matchExpressions) against an object's labels.

    As upstream's LabelSelectorAsSelector: a missing selector matches nothing, an empty
    one matches everything.
    """
    if selector is None:
        return False
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def set_selector_matches(selector: Mapping | None, labels: Mapping | None) -> bool:
    """A map selector (ReplicationController, Service) against labels. An empty map
    matches nothing here: upstream never selects every pod with one."""
    if not selector:
        return False
    labels = labels or {}
    return all(labels.get(key) == value for key, value in selector.items())


def controller_of(obj: Mapping) -> dict | None:
    """The ownerReference with controller: true, if any (upstream's GetControllerOf)."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def controller_ref(owner: Mapping, *, block_owner_deletion: bool = True) -> dict:
    """An ownerReference naming `owner` as the controller (upstream's NewControllerRef)."""
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": block_owner_deletion,
    }
