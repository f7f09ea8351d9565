"""The registry: how the API server's handlers reach the store (upstream's generic
registry Store). Every write is one store transaction that carries its trace, and a
write computed from a stale read raises LostRace so the whole call starts again."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from cluster.apiserver import errors, service_allocation
from cluster.apiserver.limits import etcd_request_too_large, quota_exceeded
from cluster.apiserver.results import LostRace, WriteOp, meta_of
from cluster.apiserver.strategy import TERMINATING
from cluster.apiserver.tracing import (
    REVISION,
    RecordedTrace,
    Request,
    Stages,
    WriteTrace,
    record_trace,
)
from cluster.models import Sandbox
from cluster.objects import format_time
from cluster.resources import RESOURCES, ResourceType
from cluster.resources.field_errors import FieldError
from cluster.resources.keys import namespace_key
from cluster.store import (
    CompareFailed,
    Delete,
    KeyMissing,
    KeyValue,
    Put,
    QuotaExceeded,
    Required,
    RequiredKeyMissing,
    Store,
    TxnResult,
    ValueTooLarge,
)

# The etcd stage of a dry run, and the end of its narration: the diagram tells the truth.
DRY_RUN_STAGE = "dry run: nothing was stored"


@dataclass
class Registry:
    """One sandbox's store as the handlers of one API server use it.

    narrate: the call's narration from what it did ("created pod default/web..."),
    told by whoever calls, and why (ApiServer.explain).
    """

    sandbox: Sandbox
    store: Store
    narrate: Callable[[Request, str], str]

    def existing(self, request: Request) -> KeyValue:
        kv = self.store.get(request.key)
        if kv is None:
            raise errors.not_found(request.rt, request.name)
        return kv

    def write(
        self,
        request: Request,
        stages: Stages,
        ops: list[WriteOp],
        *,
        requires: tuple[Required | str, ...] = (),
        code: int,
        stage: str,
        narration: str,
    ) -> tuple[TxnResult, RecordedTrace]:
        """The call's one write, with its trace riding in the same statement.

        stage (the etcd stage's detail) and narration name the revision as
        REVISION. Store errors pass through to the handler, which answers them.
        A dry run writes nothing (dry_run_write).
        """
        if request.dry_run:
            return self.dry_run_write(request, stages, ops, requires=requires, code=code)
        draft = WriteTrace(
            sandbox=self.sandbox,
            request=request,
            code=code,
            narration=self.narrate(request, narration),
            stages=[*stages.entries, {"stage": "etcd", "ok": True, "detail": stage}],
        )
        result = self.store.txn(ops, requires=requires, rider=draft.rider())
        stages.passed("etcd", stage.replace(REVISION, str(result.revision)))
        return result, draft.recorded(result)

    def dry_run_write(
        self,
        request: Request,
        stages: Stages,
        ops: list[WriteOp],
        *,
        requires: tuple[Required | str, ...],
        code: int,
    ) -> tuple[TxnResult, RecordedTrace]:
        """A dry run's write, as upstream's DryRunnableStorage: what the store's compares
        would check, checked against the store as it is (a create of a name taken is
        still a 409, a namespace that is gone still a 404), the same store errors
        raised, and nothing written: the trace is recorded alone, and says so.

        The result's revision is the object's own (an update's answer keeps its
        resourceVersion), or the store's for a create, which answers none.
        Ours: a dry run is not counted against the sandbox's object quota."""
        for requirement in requires:
            key, pinned = (
                (requirement, None)
                if isinstance(requirement, str)
                else (requirement.key, requirement.mod_revision)
            )
            current = self.store.get(key)
            if current is None:
                raise RequiredKeyMissing(key)
            if pinned is not None and current.mod_revision != pinned:
                raise CompareFailed(key, pinned, current)
        for op in ops:
            current = self.store.get(op.key)
            if isinstance(op, Delete) and current is None:
                raise KeyMissing(op.key)
            expected = op.expect_mod_revision
            if expected is not None and (current.mod_revision if current else 0) != expected:
                raise CompareFailed(op.key, expected, current)
        stages.passed("etcd", DRY_RUN_STAGE)
        own = ops[0].expect_mod_revision if ops else None
        revision = own or self.store.revision()
        trace = record_trace(
            sandbox=self.sandbox,
            actor=request.actor,
            request=request,
            code=code,
            reason="",
            revision=revision,
            narration=self.narrate(
                request,
                f"asked for a server dry run of {request.verb} {request.target}:"
                f" authorized, admitted and validated; {DRY_RUN_STAGE}",
            ),
            stages=stages,
            duration_ms=(time.perf_counter() - request.received) * 1000,
        )
        return TxnResult(revision=revision, events=[], kvs={}), trace

    def put(
        self,
        request: Request,
        stages: Stages,
        obj: dict,
        expected: int,
        *,
        code: int,
        stage: str,
        narration: str,
        allocations: list[WriteOp] | None = None,
    ) -> tuple[TxnResult, RecordedTrace]:
        """Write what was computed from the object at `expected` (and the allocations that
        go with it); if another writer got there first, the whole call starts again from a
        fresh read."""
        try:
            return self.write(
                request,
                stages,
                [Put(request.key, obj, expected), *(allocations or [])],
                code=code,
                stage=stage,
                narration=narration,
            )
        except ValueTooLarge as e:
            raise etcd_request_too_large() from e
        except QuotaExceeded as e:  # what the update allocates (a node port) is an object
            raise quota_exceeded(request.rt, request.name, e) from e
        except CompareFailed as e:
            raise LostRace from e

    def delete_stored(
        self, request: Request, stages: Stages, existing: KeyValue, *, stage: str, narration: str
    ) -> tuple[TxnResult, RecordedTrace]:
        """Delete the object's key with what it held (a Service's IP and node port); a lost
        race starts the call again: one lost to another delete then finds nothing, a 404
        as upstream answers the second of two deletes."""
        releases = self.release(request.rt, [existing.value])
        try:
            return self.write(
                request,
                stages,
                [Delete(request.key, existing.mod_revision), *releases],
                code=200,
                stage=stage,
                narration=narration,
            )
        except (CompareFailed, KeyMissing) as e:
            raise LostRace from e

    def allocate(
        self, rt: ResourceType, obj: dict, old: dict | None, stages: Stages
    ) -> list[WriteOp]:
        """What the API server allocates with the object (a Service's cluster IP and node
        ports), written in the object's own transaction."""
        if rt.name != "services":
            return []
        now = format_time(self.sandbox.now())
        if old is None:
            ops = service_allocation.on_create(self.store, obj, now)
        else:
            ops = service_allocation.on_update(self.store, obj, old, now)
        if ops:
            spec = obj.get("spec", {})
            ip = spec.get("clusterIP") or "no cluster IP"
            stages.passed("admission", f"allocated {ip} from {service_allocation.SERVICE_CIDR}")
        return ops

    def release(self, rt: ResourceType, objs: list[dict]) -> list[WriteOp]:
        """What goes back with deleted objects (their Services' IPs and node ports)."""
        if rt.name != "services" or not objs:
            return []
        return service_allocation.on_delete(self.store, objs, format_time(self.sandbox.now()))

    def admit_namespace(
        self, request: Request, obj: dict, *, must_exist: bool
    ) -> tuple[Required, ...]:
        """NamespaceLifecycle: objects go only into namespaces that exist and are not
        being terminated. must_exist: check existence here (a valid object's write checks
        it itself, in the store).

        Returns what the object's write must require of its namespace: that it still
        exists, unchanged since it was admitted here. A namespace marked Terminating in
        between fails the write, and the call starts again and is refused: no object
        slips into a namespace whose controller (or a reset) has already listed it empty.
        """
        if not request.rt.namespaced:
            return ()
        key = namespace_key(request.namespace)
        namespace = self.store.get(key)
        if namespace is None:
            if must_exist:
                raise errors.not_found(RESOURCES["namespaces"], request.namespace)
            return (Required(key),)
        if namespace.value.get("status", {}).get("phase") == TERMINATING:
            meta = obj["metadata"]
            raise errors.namespace_terminating(
                request.rt,
                meta.get("name") or meta.get("generateName") or "Unknown",
                request.namespace,
            )
        return (Required(key, namespace.mod_revision),)


def validated(rt: ResourceType, obj: dict, problems: list[FieldError], stages: Stages) -> None:
    """The validation stage: 422 Invalid with every problem, or passed."""
    if problems:
        raise errors.invalid(rt, meta_of(obj).get("name") or "", problems)
    stages.passed("validation", f"the {rt.singular} is valid")
