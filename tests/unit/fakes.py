"""An in-memory ClusterApi and a hand-driven clock for unit tests of the components.

The fake keeps objects in dicts and records every call. It follows the API
server where components rely on it: a resourceVersion per write and a 409
for a stale one, 404 and 409 (AlreadyExists) errors, status written only
through update_status, JSON merge patch and JSON patch, metadata.generation
counting spec changes, graceful pod deletion (a bound pod gets a
deletionTimestamp; grace 0 removes it), and finalizers: a propagationPolicy
sets orphan or foregroundDeletion, an object with finalizers is only marked
deleted, and the update that empties them removes it.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable

import jsonpatch

from cluster.objects import format_time

NAMESPACED = {
    "pods",
    "events",
    "leases",
    "replicasets",
    "deployments",
    "replicationcontrollers",
    "services",
    "endpoints",
    "endpointslices",
}
WITH_STATUS = {"nodes", "pods", "replicasets", "deployments", "replicationcontrollers", "services"}
# Resources whose metadata.generation counts spec changes, as the API server keeps it.
WITH_GENERATION = {"replicasets", "deployments", "replicationcontrollers"}
# Upstream's generateName suffix alphabet (no vowels, no look-alikes).
_NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
DEFAULT_GRACE_SECONDS = 30


class FakeApiError(Exception):
    """Stands in for cluster.apiserver.errors.ApiError, whose package pulls in Django."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message


class FakeClock:
    def __init__(self, start: dt.datetime) -> None:
        self.current = start

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)


class FakeClusterApi:
    def __init__(
        self,
        *,
        nodes: Iterable[dict] = (),
        pods: Iterable[dict] = (),
        clock: FakeClock | None = None,
    ) -> None:
        # resource -> (namespace, name) -> object; any resource the components ask for.
        self.objects: dict[str, dict[tuple[str, str], dict]] = defaultdict(dict)
        self.calls: list[tuple] = []
        # Resources this API server does not serve: listing one answers 404.
        self.unserved: set[str] = set()
        # What the caller said its calls were for (explain), in order.
        self.reasons: list[str] = []
        self.reason = ""
        self._generated_names = itertools.count()
        # Pod name -> HTTP code the next bind of that pod answers with.
        self.bind_errors: dict[str, int] = {}
        # Only graceful deletion needs the time (for deletionTimestamp).
        self.clock = clock
        self._revisions = itertools.count(1)
        self._uids = itertools.count(1)
        for node in nodes:
            self.put("nodes", node)
        for pod in pods:
            self.put("pods", pod)

    # -- test helpers ----------------------------------------------------------

    def put(self, resource: str, obj: dict) -> dict:
        """Store a copy as the API server would, with a fresh resourceVersion."""
        stored = copy.deepcopy(obj)
        meta = stored.setdefault("metadata", {})
        meta["resourceVersion"] = str(next(self._revisions))
        # A test may put a kind the fake does not start with (replicasets, services...).
        self.objects.setdefault(resource, {})[(meta.get("namespace", ""), meta["name"])] = stored
        return copy.deepcopy(stored)

    def pod(self, name: str, namespace: str = "default") -> dict:
        return self.objects["pods"][(namespace, name)]

    def node(self, name: str) -> dict:
        return self.objects["nodes"][("", name)]

    def lease(self, name: str, namespace: str = "kube-node-lease") -> dict:
        return self.objects["leases"][(namespace, name)]

    def events(self, reason: str = "") -> list[dict]:
        return [e for e in self.objects["events"].values() if not reason or e["reason"] == reason]

    def verbs(self) -> list[tuple]:
        return [call[:2] for call in self.calls]

    def writes(self) -> list[tuple]:
        """The calls that change something, as (verb, resource, name)."""
        return [call[:3] for call in self.calls if call[0] not in {"get", "list"}]

    # -- ClusterApi ------------------------------------------------------------

    def get(self, resource: str, name: str, *, namespace: str = "") -> dict:
        self.calls.append(("get", resource, name))
        return copy.deepcopy(self._existing(resource, name, namespace))

    def list(
        self,
        resource: str,
        *,
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
        limit: int | None = None,
        continue_token: str = "",
    ) -> dict:
        self.calls.append(("list", resource, field_selector))
        if label_selector:
            raise NotImplementedError("the fake has no label selectors: match them in the test")
        if resource in self.unserved:
            # As the API server answers for a resource it does not serve.
            raise FakeApiError(404, "NotFound", "the server could not find the requested resource")
        items = [
            copy.deepcopy(obj)
            for (ns, _), obj in sorted(self.objects[resource].items())
            if (not namespace or ns == namespace) and _fields_match(field_selector, obj)
        ]
        return {"items": items, "metadata": {"resourceVersion": str(next(self._revisions))}}

    def create(self, resource: str, obj: dict, *, namespace: str = "") -> dict:
        obj = copy.deepcopy(obj)
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + self._name_suffix()
        if self.clock is not None:
            meta.setdefault("creationTimestamp", format_time(self.clock.now()))
        self.calls.append(("create", resource, meta["name"]))
        if (namespace, meta["name"]) in self.objects[resource]:
            raise FakeApiError(409, "AlreadyExists", f'{resource} "{meta["name"]}" already exists')
        created = copy.deepcopy(obj)
        created["metadata"].setdefault("uid", f"uid-{next(self._uids)}")
        if resource in WITH_GENERATION:
            created["metadata"]["generation"] = 1
        if resource in NAMESPACED:
            created["metadata"]["namespace"] = namespace
        return self.put(resource, created)

    def update(
        self, resource: str, obj: dict, *, namespace: str = "", subresource: str = ""
    ) -> dict:
        if subresource == "status":
            return self.update_status(resource, obj, namespace=namespace)
        if subresource == "finalize":
            return self._finalize(resource, obj, namespace)
        name = obj["metadata"]["name"]
        self.calls.append(("update", resource, name))
        existing = self._checked_for_update(resource, obj, namespace)
        updated = copy.deepcopy(obj)
        if resource in WITH_STATUS:  # the main resource ignores status, as upstream
            updated["status"] = copy.deepcopy(existing.get("status") or {})
        return self._write(resource, existing, updated)

    def update_status(self, resource: str, obj: dict, *, namespace: str = "") -> dict:
        name = obj["metadata"]["name"]
        self.calls.append(("update_status", resource, name))
        existing = self._checked_for_update(resource, obj, namespace)
        updated = copy.deepcopy(existing)
        updated["status"] = copy.deepcopy(obj.get("status") or {})
        if resource == "deployments":  # as the API server's status_metadata: its revision
            annotations = obj["metadata"].get("annotations")
            updated["metadata"].pop("annotations", None)
            if annotations is not None:
                updated["metadata"]["annotations"] = copy.deepcopy(annotations)
        return self._write(resource, existing, updated)

    def patch(
        self,
        resource: str,
        name: str,
        patch: object,
        *,
        patch_type: str = "merge",
        namespace: str = "",
        subresource: str = "",
    ) -> dict:
        self.calls.append(("patch", resource, name, patch))
        existing = self._existing(resource, name, namespace)
        if patch_type == "json":  # RFC 6902, as kubectl rollout undo sends
            return self._write(resource, existing, jsonpatch.apply_patch(existing, patch))
        if patch_type != "merge":
            raise NotImplementedError("the fake speaks JSON merge patch and JSON patch only")
        return self._write(resource, existing, _merge(existing, patch))

    def delete(
        self,
        resource: str,
        name: str,
        *,
        namespace: str = "",
        grace_period_seconds: int | None = None,
        preconditions: dict | None = None,
        propagation_policy: str | None = None,
    ) -> dict:
        # A propagation policy is recorded only when given, so most records stay short.
        policy = (propagation_policy,) if propagation_policy else ()
        self.calls.append(
            ("delete", resource, name, grace_period_seconds, dict(preconditions or {}), *policy)
        )
        existing = self._existing(resource, name, namespace)
        _check_preconditions(existing, preconditions or {})
        terminating = copy.deepcopy(existing)
        meta = terminating["metadata"]
        if propagation_policy is not None and resource != "events":
            finalizers = [f for f in meta.get("finalizers", []) if f not in _GC_FINALIZERS]
            finalizers += _GC_FINALIZERS_BY_POLICY.get(propagation_policy, [])
            meta["finalizers"] = finalizers
            if not finalizers:
                del meta["finalizers"]
        grace = _grace_period(resource, existing, grace_period_seconds)
        if grace > 0 and self.clock is not None:
            if "deletionTimestamp" not in meta:
                deadline = self.clock.now() + dt.timedelta(seconds=grace)
                meta["deletionTimestamp"] = format_time(deadline)
                meta["deletionGracePeriodSeconds"] = grace
            return self._write(resource, existing, terminating)
        if meta.get("finalizers"):
            if "deletionTimestamp" not in meta and self.clock is not None:
                meta["deletionTimestamp"] = format_time(self.clock.now())
            meta["deletionGracePeriodSeconds"] = 0
            return self._write(resource, existing, terminating)
        return self.objects[resource].pop((namespace, name))

    def bind(self, pod_name: str, node_name: str, *, namespace: str = "default") -> dict:
        self.calls.append(("bind", pod_name, node_name))
        if code := self.bind_errors.pop(pod_name, None):
            raise FakeApiError(code, "Conflict" if code == 409 else "NotFound", "bind refused")
        pod = copy.deepcopy(self._existing("pods", pod_name, namespace))
        if pod["spec"].get("nodeName"):
            raise FakeApiError(409, "Conflict", f"pod {pod_name} is already assigned")
        pod["spec"]["nodeName"] = node_name
        self.put("pods", pod)
        return {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 201}

    def explain(self, reason: str) -> None:
        self.reason = reason
        if reason:
            self.reasons.append(reason)

    # -- internals -------------------------------------------------------------

    def _name_suffix(self) -> str:
        """Five characters of upstream's alphabet, different for each name."""
        number, letters = next(self._generated_names), []
        for _ in range(5):
            number, digit = divmod(number, len(_NAME_SUFFIX_ALPHABET))
            letters.append(_NAME_SUFFIX_ALPHABET[digit])
        return "".join(letters)

    def _existing(self, resource: str, name: str, namespace: str) -> dict:
        try:
            return self.objects[resource][(namespace, name)]
        except KeyError:
            raise FakeApiError(404, "NotFound", f'{resource} "{name}" not found') from None

    def _checked_for_update(self, resource: str, obj: dict, namespace: str) -> dict:
        name = obj["metadata"]["name"]
        existing = self._existing(resource, name, namespace)
        wanted = obj["metadata"].get("resourceVersion")
        if wanted and wanted != existing["metadata"]["resourceVersion"]:
            raise FakeApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {resource} "{name}": the object has been'
                " modified; please apply your changes to the latest version and try again",
            )
        return existing

    def _finalize(self, resource: str, obj: dict, namespace: str) -> dict:
        """namespaces/finalize: only spec.finalizers changes."""
        self.calls.append(("finalize", resource, obj["metadata"]["name"]))
        existing = self._checked_for_update(resource, obj, namespace)
        updated = copy.deepcopy(existing)
        updated.setdefault("spec", {})["finalizers"] = list(
            obj.get("spec", {}).get("finalizers") or []
        )
        return self._write(resource, existing, updated)

    def _write(self, resource: str, existing: dict, updated: dict) -> dict:
        """Store `updated` unless it changes nothing (then, as etcd, no new revision); an
        update that empties the finalizers of an object being deleted removes it."""
        updated["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
        if "generation" in existing["metadata"]:
            generation = existing["metadata"]["generation"]
            changed = updated.get("spec") != existing.get("spec")
            updated["metadata"]["generation"] = generation + 1 if changed else generation
        if updated == existing:
            return copy.deepcopy(existing)
        if _finalized(resource, existing, updated):
            meta = existing["metadata"]
            self.objects[resource].pop((meta.get("namespace", ""), meta["name"]))
            return copy.deepcopy(updated)
        return self.put(resource, updated)


_GC_FINALIZERS = ("orphan", "foregroundDeletion")
_GC_FINALIZERS_BY_POLICY = {"Orphan": ["orphan"], "Foreground": ["foregroundDeletion"]}


def _check_preconditions(existing: dict, preconditions: dict) -> None:
    meta = existing["metadata"]
    for key, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
        want, have = preconditions.get(key), meta.get(key, "")
        if want and want != have:
            raise FakeApiError(
                409,
                "Conflict",
                f"Precondition failed: {label} in precondition: {want},"
                f" {label} in object meta: {have}",
            )


def _finalized(resource: str, existing: dict, updated: dict) -> bool:
    """As the API server's ShouldDeleteDuringUpdate (namespaces: spec.finalizers too)."""
    old_meta, new_meta = existing["metadata"], updated["metadata"]
    if new_meta.get("finalizers") or not old_meta.get("deletionTimestamp"):
        return False
    held = old_meta.get("finalizers") or (
        resource == "namespaces" and existing.get("spec", {}).get("finalizers")
    )
    if not held:  # a test's hand-made object being deleted without finalizers stays
        return False
    if resource == "namespaces" and updated.get("spec", {}).get("finalizers"):
        return False
    return not old_meta.get("deletionGracePeriodSeconds")


def _grace_period(resource: str, obj: dict, requested: int | None) -> int:
    """As the API server: only pods have one, and not when unbound or finished."""
    if resource != "pods":
        return 0
    spec, status = obj.get("spec", {}), obj.get("status", {})
    if not spec.get("nodeName") or status.get("phase") in {"Succeeded", "Failed"}:
        return 0
    if requested is not None:
        return max(requested, 0)
    return int(spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS))


def _merge(target: object, patch: object) -> object:
    """RFC 7386 JSON merge patch: objects merge key by key, null deletes."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


def _fields_match(selector: str, obj: dict) -> bool:
    """spec.nodeName=, spec.nodeName!=node-1, metadata.name=web... (all terms ANDed)."""
    for term in filter(None, selector.split(",")):
        negate = "!=" in term
        path, value = term.split("!=" if negate else "=", 1)
        found: object = obj
        for part in path.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        if ((str(found) if found is not None else "") == value) == negate:
            return False
    return True
