"""Claiming pods: adopt matching orphans, release owned pods that stopped matching.

As upstream's PodControllerRefManager.ClaimPods (pkg/controller/controller_ref_manager.go):
a pod controlled by someone else is never touched; a pod it controls stays its own while
the selector matches and is released when it no longer does; an orphan that matches is
adopted. An owner being deleted neither adopts nor releases.

Upstream sends strategic merge patches that add or remove one ownerReference by UID. Podlab's
API server speaks JSON merge patch, where a list is replaced whole, so the patch carries the
pod's full new ownerReferences with its resourceVersion as a precondition: a writer who
changed them meanwhile gets its change kept and this pass a 409, retried at the next pass.
Both patches also carry the pod's uid, as upstream's do, so a pod deleted and re-created
under the same name is refused (422) instead of claimed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cluster.components.api import ClusterApi
from cluster.components.controllers.ownership import controller_of
from cluster.components.controllers.pod_state import is_pod_active

GONE = 404
INVALID = 422


def claim_pods(
    api: ClusterApi,
    owner: dict,
    pods: list[dict],
    *,
    selects: Callable[[Mapping], bool],
    owner_ref: dict,
    subject: str,
) -> list[dict]:
    """The active pods `owner` controls after adopting and releasing, in list order.

    Inactive pods (finished, or being deleted) are left alone, as upstream claims only
    what FilterActivePods kept. selects(labels) is the owner's selector; owner_ref the
    ownerReference it adopts with; subject names the owner in traces ("replicaset
    default/web"). Every pod is tried; the first failure is raised after (a pass that
    could not claim must not count its pods).
    Adopted and released pods are replaced in `pods` by what the API server answered, so
    that the owners after this one in the same pass see them as they are now.
    """
    uid = owner["metadata"].get("uid")
    deleting = bool(owner["metadata"].get("deletionTimestamp"))
    claimed: list[dict] = []
    failures: list[Exception] = []
    for index, pod in enumerate(pods):
        if not is_pod_active(pod):
            continue
        ref = controller_of(pod)
        matches = selects(pod["metadata"].get("labels") or {})
        if ref is not None and ref.get("uid") != uid:
            continue  # someone else's
        if ref is not None and matches:
            claimed.append(pod)
            continue
        if deleting or (ref is None and not matches):
            continue
        try:
            if ref is None:
                pods[index] = _adopt(api, pod, owner_ref, subject)
                claimed.append(pods[index])
            else:
                pods[index] = _release(api, pod, uid, subject)
        except Exception as error:  # an ApiError, whose package the components may not import
            code = getattr(error, "code", None)
            if code is None:
                raise
            if code == GONE or (ref is not None and code == INVALID):
                continue  # gone, or re-created under the same name: nothing to claim
            failures.append(error)
    if failures:
        raise failures[0]
    return claimed


def _adopt(api: ClusterApi, pod: dict, owner_ref: dict, subject: str) -> dict:
    meta = pod["metadata"]
    refs = [*(meta.get("ownerReferences") or []), owner_ref]
    api.explain(f"{subject} selects pod {meta['name']}, which has no controller: adopting it")
    try:
        return api.patch("pods", meta["name"], _owner_patch(pod, refs), namespace=_ns(pod))
    finally:
        api.explain("")


def _release(api: ClusterApi, pod: dict, owner_uid: str, subject: str) -> dict:
    meta = pod["metadata"]
    refs = [ref for ref in meta.get("ownerReferences") or [] if ref.get("uid") != owner_uid]
    api.explain(
        f"{subject} controls pod {meta['name']}, whose labels it no longer selects: releasing it"
    )
    try:
        return api.patch("pods", meta["name"], _owner_patch(pod, refs), namespace=_ns(pod))
    finally:
        api.explain("")


def _owner_patch(pod: Mapping, refs: list[dict]) -> dict:
    meta = pod["metadata"]
    return {
        "metadata": {
            # An empty list is no list: null removes the field, as upstream's last delete does.
            "ownerReferences": refs or None,
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        }
    }


def _ns(pod: Mapping) -> str:
    return pod["metadata"].get("namespace", "")
