"""An in-memory ClusterApi for unit tests: objects in dicts, every call recorded."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from collections.abc import Iterable


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
    def __init__(self, *, nodes: Iterable[dict] = (), pods: Iterable[dict] = ()) -> None:
        self.objects: dict[str, dict[tuple[str, str], dict]] = {
            "nodes": {},
            "pods": {},
            "events": {},
        }
        self.calls: list[tuple] = []
        # Pod name -> HTTP code the next bind of that pod answers with.
        self.bind_errors: dict[str, int] = {}
        self._revisions = itertools.count(1)
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
        self.objects[resource][(meta.get("namespace", ""), meta["name"])] = stored
        return copy.deepcopy(stored)

    def pod(self, name: str, namespace: str = "default") -> dict:
        return self.objects["pods"][(namespace, name)]

    def events(self, reason: str = "") -> list[dict]:
        return [e for e in self.objects["events"].values() if not reason or e["reason"] == reason]

    def verbs(self) -> list[tuple]:
        return [call[:2] for call in self.calls]

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
        items = [
            copy.deepcopy(obj)
            for (ns, _), obj in sorted(self.objects[resource].items())
            if (not namespace or ns == namespace) and _fields_match(field_selector, obj)
        ]
        return {"items": items, "metadata": {"resourceVersion": str(next(self._revisions))}}

    def create(self, resource: str, obj: dict, *, namespace: str = "") -> dict:
        meta = obj["metadata"]
        self.calls.append(("create", resource, meta["name"]))
        if (namespace, meta["name"]) in self.objects[resource]:
            raise FakeApiError(409, "AlreadyExists", f'{resource} "{meta["name"]}" already exists')
        return self.put(resource, obj)

    def update(
        self, resource: str, obj: dict, *, namespace: str = "", subresource: str = ""
    ) -> dict:
        raise NotImplementedError("the scheduler only updates pods through the status subresource")

    def update_status(self, resource: str, obj: dict, *, namespace: str = "") -> dict:
        name = obj["metadata"]["name"]
        self.calls.append(("update_status", resource, name))
        existing = self._existing(resource, name, namespace)
        if obj["metadata"].get("resourceVersion") != existing["metadata"]["resourceVersion"]:
            raise FakeApiError(409, "Conflict", "the object has been modified")
        updated = copy.deepcopy(existing)
        updated["status"] = copy.deepcopy(obj.get("status") or {})
        return self.put(resource, updated)

    def patch(self, resource: str, name: str, patch: object, **options: object) -> dict:
        raise NotImplementedError("the scheduler does not patch")

    def delete(self, resource: str, name: str, *, namespace: str = "", **options: object) -> dict:
        self.calls.append(("delete", resource, name))
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

    def _existing(self, resource: str, name: str, namespace: str) -> dict:
        try:
            return self.objects[resource][(namespace, name)]
        except KeyError:
            raise FakeApiError(404, "NotFound", f'{resource} "{name}" not found') from None


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
