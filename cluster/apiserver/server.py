"""The API server: the only writer of the store.

Every call passes the same named stages, as in kube-apiserver: authentication,
authorization, admission (defaulting and namespace checks), validation, then
the store. Each call is traced, and after commit its store events and trace
are published to the sandbox's live group.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction

from cluster.apiserver import errors, service_allocation
from cluster.apiserver.authn import Caller, caller_for_component, caller_for_token, caller_for_user
from cluster.apiserver.authz import authorize
from cluster.apiserver.errors import ApiError
from cluster.apiserver.patch import apply_patch
from cluster.apiserver.publish import publish_changes
from cluster.apiserver.scale import (
    SCALE,
    decode_scale,
    replicas_of,
    scale_of,
    uid_conflict,
    validate_scale,
)
from cluster.apiserver.selectors import (
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
    store_column_matches,
)
from cluster.apiserver.tracing import (
    REVISION,
    RecordedTrace,
    Request,
    Stages,
    WriteTrace,
    failure_narration,
    record_trace,
)
from cluster.models import Sandbox
from cluster.objects import format_time, parse_time, set_condition
from cluster.resources import RESOURCES, ResourceType
from cluster.resources.field_errors import FieldError, not_supported, required
from cluster.store import (
    MAX_VALUE_BYTES,
    CompareFailed,
    Delete,
    Event,
    KeyValue,
    Put,
    RequiredKeyMissing,
    Store,
    TooOld,
    TxnResult,
    ValueTooLarge,
    collector_paused,
)

_WriteOp = Put | Delete

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# Upstream's generateName suffix alphabet: no vowels, no look-alike characters.
_NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_RACE_RETRIES = 5
_SERVER_OWNED_METADATA = (
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
)
# The pipeline stage a failed request stopped at, by status code.
_FAILED_STAGE = {401: "authentication", 403: "authorization", 422: "validation", 400: "decoding"}
_LIST_BATCH = 500
# Refusals by authentication and authorization: the caller is not one of the sandbox's.
_REFUSED_AT_THE_DOOR = (401, 403)
audit = logging.getLogger("podlab.audit")

TERMINATING = "Terminating"
# DeleteOptions' propagationPolicy values, and the finalizers the garbage collector
# honours (metav1.FinalizerOrphanDependents, FinalizerDeleteDependents).
BACKGROUND, FOREGROUND, ORPHAN = "Background", "Foreground", "Orphan"
ORPHAN_FINALIZER = "orphan"
FOREGROUND_FINALIZER = "foregroundDeletion"
# Kinds whose strategy says rest.Unsupported to garbage collection (upstream's
# eventStrategy.DefaultGarbageCollectionPolicy): a propagationPolicy changes nothing.
_GC_UNSUPPORTED = frozenset({"events"})


class _LostRace(Exception):
    """Another writer changed the object between our read and our write; try again."""


@dataclass
class Outcome:
    body: dict
    code: int
    revision: int
    narration: str = ""  # for a call that wrote nothing; a write's trace tells its own
    events: list[Event] = field(default_factory=list)
    trace: RecordedTrace | None = None  # written with the write (ApiServer._write)


@dataclass(frozen=True)
class WatchBatch:
    """Watch events after a resourceVersion, and where to resume from."""

    events: list[dict]
    resource_version: int


class ApiServer:
    """The API server of one sandbox, serving one caller.

    Build it with as_user, as_token or as_component. Methods take resource
    names as in URLs ("pods", "nodes", "leases") and Kubernetes JSON objects,
    return Kubernetes JSON, and raise ApiError carrying a Status.
    """

    def __init__(self, sandbox: Sandbox, authenticate: Callable[[], Caller], *, command: str = ""):
        self.sandbox = sandbox
        self.store = Store(sandbox.pk)
        self._authenticate = authenticate
        self._caller: Caller | None = None
        # Recorded on the trace of every call made through this server.
        self.command = command
        # Why a component makes its next calls (explain), told in their traces.
        self.reason = ""

    @classmethod
    def as_user(cls, sandbox: Sandbox, user, *, command: str = "") -> ApiServer:
        """command: the kubectl command the user's click or YAML stands for, shown with
        each call it makes ("kubectl cordon node-1"); empty for the page's own reads."""
        return cls(sandbox, partial(caller_for_user, user), command=command)

    @classmethod
    def as_token(cls, sandbox: Sandbox, token: str) -> ApiServer:
        return cls(sandbox, partial(caller_for_token, token))

    @classmethod
    def as_component(cls, sandbox: Sandbox, actor: str) -> ApiServer:
        """actor: 'scheduler', 'kubelet/node-1', 'controller-manager/replicaset'..."""
        return cls(sandbox, partial(caller_for_component, actor))

    def explain(self, reason: str) -> None:
        """Say why the next calls are made, desired against actual ("replicaset
        default/web-7d4b9 wants 3, sees 2: creating 1"); each call's trace tells it.
        An empty reason ends it."""
        self.reason = reason

    # -- verbs -------------------------------------------------------------

    def create(self, resource: str, obj: dict, *, namespace: str = "") -> dict:
        rt = self._resource(resource)
        name = _meta(obj).get("name", "") if isinstance(obj, dict) else ""
        request = Request("create", rt, self._scope(rt, namespace), name)
        return self._serve(request, partial(self._create, body=obj))

    def get(self, resource: str, name: str, *, namespace: str = "", subresource: str = "") -> dict:
        """subresource "scale": the workload's autoscaling/v1 Scale."""
        rt = self._resource(resource, subresource)
        request = Request("get", rt, self._scope(rt, namespace), name, subresource)
        return self._serve(request, self._get)

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
        rt = self._resource(resource)
        request = Request("list", rt, self._scope(rt, namespace, required=False))
        handler = partial(
            self._list,
            label_selector=label_selector,
            field_selector=field_selector,
            limit=limit,
            continue_token=continue_token,
        )
        return self._serve(request, handler)

    def update(
        self, resource: str, obj: dict, *, namespace: str = "", subresource: str = ""
    ) -> dict:
        rt = self._resource(resource, subresource)
        name = _meta(obj).get("name", "") if isinstance(obj, dict) else ""
        request = Request("update", rt, self._scope(rt, namespace), name, subresource)
        return self._serve(request, partial(self._update, body=obj))

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
        """patch_type: 'merge' (RFC 7386) or 'json' (RFC 6902), or their media types."""
        rt = self._resource(resource, subresource)
        request = Request("patch", rt, self._scope(rt, namespace), name, subresource)
        return self._serve(request, partial(self._patch, patch=patch, patch_type=patch_type))

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
        """propagation_policy: what happens to the object's dependents (DeleteOptions'
        propagationPolicy): "Background" (the garbage collector deletes them after),
        "Foreground" (it deletes them first, the object waits with the foregroundDeletion
        finalizer), "Orphan" (they lose their ownerReferences); None keeps the object's
        finalizers' choice, else Background."""
        rt = self._resource(resource)
        request = Request("delete", rt, self._scope(rt, namespace), name)
        handler = partial(
            self._delete,
            grace_period_seconds=grace_period_seconds,
            preconditions=preconditions or {},
            propagation_policy=propagation_policy,
        )
        return self._serve(request, handler)

    def bind(self, pod_name: str, node_name: str, *, namespace: str = "default") -> dict:
        """POST pods/<name>/binding: the scheduler's suggestion, written down by the API server."""
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": pod_name, "namespace": namespace},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
        }
        return self.create_binding(binding, namespace=namespace, pod_name=pod_name)

    def create_binding(self, binding: dict, *, namespace: str, pod_name: str) -> dict:
        rt = self._resource("pods", "binding")
        request = Request("create", rt, namespace, pod_name, "binding")
        return self._serve(request, partial(self._bind, body=binding))

    def update_status(self, resource: str, obj: dict, *, namespace: str = "") -> dict:
        return self.update(resource, obj, namespace=namespace, subresource="status")

    def watch(
        self,
        resource: str,
        *,
        resource_version: str | int = "",
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
    ) -> WatchBatch:
        """The changes after resource_version ("" or 0: ADDED for every current object first).

        Raises ApiError 410 Expired when that revision has been compacted away.
        Call again with the returned resource_version to continue.
        """
        rt = self._resource(resource)
        request = Request("watch", rt, self._scope(rt, namespace, required=False))
        handler = partial(
            self._watch,
            resource_version=str(resource_version or "0"),
            label_selector=label_selector,
            field_selector=field_selector,
        )
        result: dict = self._serve(request, handler)
        return WatchBatch(result["events"], result["resourceVersion"])

    def fault(
        self,
        action: str,
        target: str,
        *,
        apply: Callable[[], None],
        narration: str,
        resource: str = "",
        namespace: str = "",
    ) -> None:
        """A lesson's fault outside the API (crash a container, stop a kubelet...).

        It passes authentication and authorization like a write to `resource`
        (or to the sandbox's components), runs `apply` in the same transaction
        as its trace, and is published like any call, so the diagram shows it.
        """
        rt = self._resource(resource) if resource else _COMPONENTS
        request = Request(action, rt, self._scope(rt, namespace) if resource else "", target)

        def handler(request: Request, stages: Stages) -> Outcome:
            apply()
            stages.passed("fault", narration)
            return Outcome(body={}, code=200, revision=self.store.revision(), narration=narration)

        self._serve(request, handler, atomic=True)

    def etcd_browse(self, prefix: str = "/registry/", *, key: str = "") -> dict:
        """What `etcdctl get --prefix` would show, for the lesson's etcd browser: the keys
        under prefix with their revisions, and for `key` its value and history. Read
        through the API server like everything else, so it is authorized and traced."""
        request = Request("get", _ETCD, "", key or prefix)

        def handler(request: Request, stages: Stages) -> Outcome:
            listing = self.store.range(prefix)
            body: dict = {
                "revision": listing.revision,
                "keys": [
                    {
                        "key": kv.key,
                        "create_revision": kv.create_revision,
                        "mod_revision": kv.mod_revision,
                        "version": kv.version,
                    }
                    for kv in listing.items
                ],
            }
            if key:
                current = self.store.get(key)
                body["value"] = current.value if current else None
                body["history"] = [
                    {"revision": e.revision, "type": e.type, "value": e.value}
                    for e in self.store.key_history(key)
                ]
            stages.passed("etcd", f"read {len(listing.items)} keys under {prefix}")
            return Outcome(
                body=body,
                code=200,
                revision=listing.revision,
                narration=f"browsed etcd under {prefix}: {len(listing.items)} keys",
            )

        return self._serve(request, handler)

    # -- the pipeline --------------------------------------------------------

    def _serve(
        self,
        request: Request,
        handler: Callable[[Request, Stages], Outcome],
        *,
        atomic: bool = False,
    ) -> dict:
        """atomic: run the handler and its trace in one transaction (a fault's changes)."""
        stages = Stages()
        request.command = self.command
        try:
            caller = self._caller_or_raise()
            request.actor = caller.actor
            request.user_agent = caller.user_agent
            stages.passed("authentication", f"{caller.describe()} (as {caller.username})")
            why = authorize(
                caller,
                self.sandbox,
                verb=request.verb,
                rt=request.rt,
                namespace=request.namespace,
                name=request.name,
                subresource=request.subresource,
            )
            stages.passed("authorization", why)
            return self._handle(request, handler, stages, atomic=atomic)
        except ApiError as error:
            stages.failed(_FAILED_STAGE.get(error.code, "etcd"), error.message)
            actor = request.actor
            if error.code in _REFUSED_AT_THE_DOOR:
                # Whoever was refused has no business in this sandbox: nothing of theirs goes
                # into its traces or onto its viewers' pages (else anyone could write lines
                # onto a student's timeline, or flood their history away). The operator's
                # log keeps it.
                audit.warning(
                    "%s",
                    failure_narration(actor, request, error.code, error.reason, error.message),
                    extra={"sandbox": self.sandbox.pk},
                )
                raise
            revision = self.store.revision()
            trace = record_trace(
                sandbox=self.sandbox,
                actor=actor,
                request=request,
                code=error.code,
                reason=error.reason,
                revision=revision,
                narration=failure_narration(
                    actor, request, error.code, error.reason, error.message
                ),
                stages=stages,
                duration_ms=(time.perf_counter() - request.received) * 1000,
            )
            self._publish_on_commit(revision, [], trace)
            raise

    def _handle(
        self,
        request: Request,
        handler: Callable[[Request, Stages], Outcome],
        stages: Stages,
        *,
        atomic: bool,
    ) -> dict:
        """Run the handler, record its trace and publish, retrying lost races.

        No transaction is needed around a call: its one write commits with its
        trace (ApiServer._write), and its reads before that are checked by the
        write's compare, so a lost race writes nothing and the call starts again
        from a fresh read, as upstream's GuaranteedUpdate does. A call that wrote
        nothing (a read, an unchanged update) writes its trace alone.
        """
        authenticated = list(stages.entries)
        in_transaction = transaction.atomic if atomic else nullcontext
        for _ in range(_RACE_RETRIES):
            stages.entries = list(authenticated)
            try:
                with in_transaction():
                    outcome = handler(request, stages)
                    trace = outcome.trace or record_trace(
                        sandbox=self.sandbox,
                        actor=request.actor,
                        request=request,
                        code=outcome.code,
                        reason="",
                        revision=outcome.revision,
                        narration=self._narration(request, outcome.narration),
                        stages=stages,
                        duration_ms=(time.perf_counter() - request.received) * 1000,
                    )
                    self._publish_on_commit(outcome.revision, outcome.events, trace)
                return outcome.body
            except _LostRace:
                continue
        raise errors.conflict(request.rt, request.name)

    def _write(
        self,
        request: Request,
        stages: Stages,
        ops: list[_WriteOp],
        *,
        requires: tuple[str, ...] = (),
        code: int,
        stage: str,
        narration: str,
    ) -> tuple[TxnResult, RecordedTrace]:
        """The call's one write, with its trace riding in the same statement.

        stage (the etcd stage's detail) and narration name the revision as
        REVISION. Store errors pass through to the handler, which answers them.
        """
        draft = WriteTrace(
            sandbox=self.sandbox,
            request=request,
            code=code,
            narration=self._narration(request, narration),
            stages=[*stages.entries, {"stage": "etcd", "ok": True, "detail": stage}],
        )
        result = self.store.txn(ops, requires=requires, rider=draft.rider())
        stages.passed("etcd", stage.replace(REVISION, str(result.revision)))
        return result, draft.recorded(result)

    def _narration(self, request: Request, what: str) -> str:
        if self.reason:
            return f"{request.actor}: {self.reason}; {what}"
        return f"{request.actor} {what}"

    def _caller_or_raise(self) -> Caller:
        if self._caller is None:
            self._caller = self._authenticate()
        return self._caller

    def _publish_on_commit(self, revision: int, events: list[Event], trace: RecordedTrace) -> None:
        transaction.on_commit(
            partial(
                publish_changes,
                self.sandbox,
                revision,
                [_event_message(e) for e in events],
                [trace.message],
                actor=trace.actor,
                sender=ApiServer,
            )
        )

    # -- handlers ------------------------------------------------------------

    def _create(self, request: Request, stages: Stages, *, body: object) -> Outcome:
        rt = request.rt
        obj = self._decode(rt, body, request.namespace)
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(
                secrets.choice(_NAME_SUFFIX_ALPHABET) for _ in range(5)
            )
        request.name = meta.get("name", "")
        self._default_on_create(rt, obj)
        admitted = [f"{plugin.name}: {plugin.admit(obj)}" for plugin in rt.admission]
        stages.passed(
            "admission",
            "; ".join([f"defaulted the {rt.singular} and gave it uid {meta['uid']}", *admitted]),
        )
        problems = rt.validate(obj, None)
        # Upstream's order: NamespaceLifecycle admission answers before validation.
        self._admit_namespace(request, obj, must_exist=bool(problems))
        self._validate(rt, obj, problems, stages)
        if not request.name:
            raise errors.invalid(
                rt, "", [required("metadata.name", "name or generateName is required")]
            )
        # NamespaceLifecycle for a valid object: the namespace must exist when the object
        # is stored, checked by the store in the write itself (etcd's compare on another key).
        namespace_key = f"/registry/namespaces/{request.namespace}"
        allocations = self._allocate(rt, obj, None, stages)
        try:
            result, trace = self._write(
                request,
                stages,
                [Put(request.key, obj, expect_mod_revision=0), *allocations],
                requires=(namespace_key,) if rt.namespaced else (),
                code=201,
                stage=f"stored {request.key} at revision {REVISION}",
                narration=(
                    f"created {request.target}: the API server stored {request.key}"
                    f" in etcd at revision {REVISION}"
                ),
            )
        except RequiredKeyMissing as e:
            raise errors.not_found(RESOURCES["namespaces"], request.namespace) from e
        except CompareFailed as e:
            if e.key != request.key:  # another create took the IP or port we picked
                raise _LostRace from e
            raise errors.already_exists(rt, request.name) from e
        except ValueTooLarge as e:
            raise errors.too_large(MAX_VALUE_BYTES) from e
        return Outcome(
            body=_with_revision(obj, result.revision),
            code=201,
            revision=result.revision,
            events=result.events,
            trace=trace,
        )

    def _get(self, request: Request, stages: Stages) -> Outcome:
        kv = self._existing(request)
        stages.passed("etcd", f"read {request.key} (revision {kv.mod_revision})")
        obj = _object(kv)
        return Outcome(
            body=scale_of(request.rt, obj) if request.subresource == "scale" else obj,
            code=200,
            revision=kv.mod_revision,
            narration=f"read {request.target} from the API server (revision {kv.mod_revision})",
        )

    def _list(
        self,
        request: Request,
        stages: Stages,
        *,
        label_selector: str,
        field_selector: str,
        limit: int | None,
        continue_token: str,
    ) -> Outcome:
        rt = request.rt
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, rt.name)
        where = store_column_matches(fields, rt.name)
        prefix = Request("list", rt, request.namespace, "").key  # "/registry/pods/ns/"
        start_after = _decode_continue(continue_token)
        with collector_paused():
            items, revision, next_start = self._collect(
                prefix,
                where,
                start_after,
                limit,
                lambda obj: labels_match(labels, obj) and fields_match(fields, obj),
            )
        metadata = {"resourceVersion": str(revision)}
        if next_start:
            metadata["continue"] = _encode_continue(revision, next_start)
        selectors = " and ".join(s for s in (label_selector, field_selector) if s)
        matching = f" matching {selectors}" if selectors else ""
        stages.passed("etcd", f"read {len(items)} keys under {prefix} (revision {revision})")
        return Outcome(
            body={
                "kind": f"{rt.kind}List",
                "apiVersion": rt.api_version,
                "metadata": metadata,
                "items": items,
            },
            code=200,
            revision=revision,
            narration=(
                f"listed {request.target}{matching}: {len(items)} found (revision {revision})"
            ),
        )

    def _collect(
        self,
        prefix: str,
        where: list,
        start_after: str,
        limit: int | None,
        matches: Callable[[dict], bool],
    ) -> tuple[list[dict], int, str]:
        """Matching objects under prefix, the revision read, and where a next page starts."""
        items: list[dict] = []
        revision = None
        while True:
            # Unlimited lists read in one go; a limited one reads batches until it has enough.
            batch = max(limit, _LIST_BATCH) if limit else None
            page = self.store.range(prefix, limit=batch, start_after=start_after, where=where)
            revision = page.revision if revision is None else revision
            for index, kv in enumerate(page.items):
                obj = _object(kv)
                if matches(obj):
                    items.append(obj)
                if limit and len(items) == limit:
                    more = index < len(page.items) - 1 or page.more
                    return items, revision, kv.key if more else ""
            if not page.more:
                return items, revision, ""
            start_after = page.items[-1].key

    def _update(self, request: Request, stages: Stages, *, body: object) -> Outcome:
        rt = request.rt
        if request.subresource == "scale":
            return self._update_scale(request, stages, self._existing(request), body)
        obj = self._decode(rt, body, request.namespace)
        existing = self._existing(request)
        precondition = obj["metadata"].get("resourceVersion")
        if precondition and precondition != str(existing.mod_revision):
            raise errors.conflict(rt, request.name)
        # A lost race is retried from a fresh read, where a stale precondition is a 409.
        return self._write_update(request, stages, existing, obj)

    def _patch(
        self, request: Request, stages: Stages, *, patch: object, patch_type: str
    ) -> Outcome:
        existing = self._existing(request)
        if request.subresource == "scale":
            current = scale_of(request.rt, _object(existing))
            patched_scale = apply_patch(current, patch, patch_type)
            return self._update_scale(request, stages, existing, patched_scale)
        patched = apply_patch(_object(existing), patch, patch_type)
        precondition = _meta(patched).get("resourceVersion")
        if precondition and precondition != str(existing.mod_revision):
            raise errors.conflict(request.rt, request.name)
        obj = self._decode(request.rt, patched, request.namespace)
        return self._write_update(request, stages, existing, obj)

    def _update_scale(
        self, request: Request, stages: Stages, existing: KeyValue, body: object
    ) -> Outcome:
        """PUT or PATCH <workload>/scale: the Scale's replicas become the object's
        spec.replicas, then the object is updated as any update is (upstream's
        scaleUpdatedObjectInfo), and the answer is the new Scale."""
        rt = request.rt
        scale = decode_scale(body)
        if problems := validate_scale(scale, namespace=request.namespace):
            raise errors.invalid(SCALE, request.name, problems)
        if conflict := uid_conflict(rt, request.name, scale, _meta(existing.value).get("uid", "")):
            raise conflict
        precondition = _meta(scale).get("resourceVersion")
        if precondition and precondition != str(existing.mod_revision):
            raise errors.conflict(rt, request.name)
        obj = copy.deepcopy(existing.value)
        obj.setdefault("spec", {})["replicas"] = replicas_of(scale)
        return self._write_update(request, stages, existing, obj, answer=partial(scale_of, rt))

    def _write_update(
        self,
        request: Request,
        stages: Stages,
        existing: KeyValue,
        obj: dict,
        *,
        answer: Callable[[dict], dict] = lambda stored: stored,
    ) -> Outcome:
        """answer: the body for the stored object (a scale update answers its Scale)."""
        rt = request.rt
        old = existing.value
        if request.subresource == "status":
            new = copy.deepcopy(old)
            new["status"] = obj.get("status") or {}
            _take_status_metadata(rt, new, obj)
            problems = rt.validate_status(new, old)
        elif request.subresource == "finalize":
            # Upstream's namespace finalizeStrategy: only spec.finalizers changes.
            new = copy.deepcopy(old)
            new.setdefault("spec", {})["finalizers"] = (obj.get("spec") or {}).get(
                "finalizers"
            ) or []
            problems = rt.validate(new, old)
        else:
            new = obj
            rt.default_decoded(new)
            _keep_system_metadata(new, old)
            rt.prepare_for_update(new, old)
            if rt.has_status:
                new["status"] = copy.deepcopy(old.get("status", {}))
            if rt.name == "namespaces":
                # As upstream's namespaceStrategy.PrepareForUpdate: only namespaces/finalize
                # changes spec.finalizers.
                new.setdefault("spec", {})["finalizers"] = old.get("spec", {}).get("finalizers", [])
            if "generation" in old.get("metadata", {}) and rt.generation_changed(new, old):
                new["metadata"]["generation"] = old["metadata"]["generation"] + 1
            problems = rt.validate(new, old)
        stages.passed("admission", "kept the fields this request may not change")
        self._validate(rt, new, problems, stages)
        allocations = [] if request.subresource else self._allocate(rt, new, old, stages)
        if new == old:
            stages.passed(
                "etcd", f"nothing changed; {request.key} stays at revision {existing.mod_revision}"
            )
            return Outcome(
                body=answer(_object(existing)),
                code=200,
                revision=existing.mod_revision,
                narration=f"sent an unchanged {request.target}; nothing was written",
            )
        if _should_delete_during_update(rt, new, old):
            return self._remove_finalized(request, stages, existing, new)
        result, trace = self._put(
            request,
            stages,
            new,
            existing.mod_revision,
            code=200,
            stage=f"stored {request.key} at revision {REVISION}",
            narration=_update_narration(request, new),
            allocations=allocations,
        )
        return Outcome(
            body=answer(_with_revision(new, result.revision)),
            code=200,
            revision=result.revision,
            events=result.events,
            trace=trace,
        )

    def _delete(
        self,
        request: Request,
        stages: Stages,
        *,
        grace_period_seconds: int | None,
        preconditions: dict,
        propagation_policy: str | None,
    ) -> Outcome:
        """As upstream's generic Store.Delete: graceful deletion and finalizers first, the
        object leaves the store only when neither holds it."""
        rt = request.rt
        _validate_delete_options(propagation_policy)
        existing = self._existing(request)
        _check_preconditions(rt, request.name, existing, preconditions)
        if rt.name == "namespaces":
            return self._delete_namespace(request, stages, existing, propagation_policy)
        obj = copy.deepcopy(existing.value)
        meta = obj["metadata"]
        graceful, pending = self._before_delete(rt, obj, grace_period_seconds)
        if pending:
            # Upstream: finalizers cannot be changed through DeleteOptions once a graceful
            # deletion is pending.
            return self._unchanged(request, stages, existing, "is already terminating")
        if rt.name not in _GC_UNSUPPORTED:
            _set_finalizers(meta, _finalizers_after_delete(meta, propagation_policy))
        finalizers = meta.get("finalizers") or []
        grace = meta.get("deletionGracePeriodSeconds", 0) if graceful else 0
        if finalizers:
            if not graceful:
                self._mark_as_deleting(meta)
            stages.passed("admission", f"waiting for finalizers: {', '.join(finalizers)}")
            waiting = ", ".join(finalizers)
            what = f"marked it for deletion; it stays until its finalizers ({waiting}) are removed"
            return self._store_terminating(request, stages, existing, obj, what)
        if grace > 0:
            stages.passed("admission", f"grace period {grace}s")
            what = f"marked it Terminating (grace period {grace}s)"
            return self._store_terminating(request, stages, existing, obj, what)
        stages.passed("admission", "grace period 0s, no finalizers: deleting now")
        return self._remove(request, stages, existing)

    def _before_delete(
        self, rt: ResourceType, obj: dict, requested: int | None
    ) -> tuple[bool, bool]:
        """(graceful, pending) as upstream's rest.BeforeDelete: a graceful kind gets its
        deletionTimestamp and grace period; a second delete may only shorten the grace
        period, else the deletion is pending and nothing changes."""
        if not rt.graceful_delete:
            return False, False
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):
            current = meta.get("deletionGracePeriodSeconds") or 0
            if not current:
                return False, False
            if requested is None or max(requested, 0) >= current:
                return False, True
            shorter = max(requested, 0)
            started = parse_time(meta["deletionTimestamp"]) - dt.timedelta(seconds=current)
            meta["deletionTimestamp"] = format_time(started + dt.timedelta(seconds=shorter))
            meta["deletionGracePeriodSeconds"] = shorter
            return True, False
        grace = self._grace_period(rt, obj, requested)
        meta["deletionTimestamp"] = format_time(self.sandbox.now() + dt.timedelta(seconds=grace))
        meta["deletionGracePeriodSeconds"] = grace
        return True, False

    def _mark_as_deleting(self, meta: dict) -> None:
        """A kind without graceful deletion held by finalizers: deleted as of now, grace 0
        (upstream's markAsDeleting); the generation moves so controllers notice."""
        now = self.sandbox.now()
        if not meta.get("deletionTimestamp") and meta.get("generation", 0) > 0:
            meta["generation"] += 1
        if not meta.get("deletionTimestamp") or parse_time(meta["deletionTimestamp"]) > now:
            meta["deletionTimestamp"] = format_time(now)
        meta["deletionGracePeriodSeconds"] = 0

    def _unchanged(self, request: Request, stages: Stages, existing: KeyValue, why: str) -> Outcome:
        stages.passed("etcd", f"{request.key} {why}")
        return Outcome(
            body=_object(existing),
            code=200,
            revision=existing.mod_revision,
            narration=f"asked again to delete {request.target}, which {why}",
        )

    def _store_terminating(
        self, request: Request, stages: Stages, existing: KeyValue, obj: dict, what: str
    ) -> Outcome:
        if obj == existing.value:
            return self._unchanged(request, stages, existing, "is already being deleted")
        result, trace = self._put(
            request,
            stages,
            obj,
            existing.mod_revision,
            code=200,
            stage=f"marked {request.key} for deletion at revision {REVISION}",
            narration=(
                f"asked to delete {request.target}: the API server {what}, at revision {REVISION}"
            ),
        )
        return Outcome(
            body=_with_revision(obj, result.revision),
            code=200,
            revision=result.revision,
            events=result.events,
            trace=trace,
        )

    def _remove(self, request: Request, stages: Stages, existing: KeyValue) -> Outcome:
        """The object leaves the store, with what it held (a Service's node port); a lost
        race starts the call again."""
        rt = request.rt
        result, trace = self._delete_stored(
            request,
            stages,
            existing,
            stage=f"deleted {request.key} at revision {REVISION}",
            narration=(
                f"deleted {request.target}: removed {request.key} from etcd at revision {REVISION}"
            ),
        )
        if rt.graceful_delete:
            body = _with_revision(existing.value, existing.mod_revision)
        else:
            uid = existing.value.get("metadata", {}).get("uid", "")
            body = _success_status(rt, request.name, uid)
        return Outcome(
            body=body, code=200, revision=result.revision, events=result.events, trace=trace
        )

    def _delete_stored(
        self, request: Request, stages: Stages, existing: KeyValue, *, stage: str, narration: str
    ) -> tuple[TxnResult, RecordedTrace]:
        """Delete the object's key with what it held (a Service's IP and node port); a lost
        race starts the call again."""
        releases = self._release(request.rt, [existing.value])
        try:
            return self._write(
                request,
                stages,
                [Delete(request.key, existing.mod_revision), *releases],
                code=200,
                stage=stage,
                narration=narration,
            )
        except CompareFailed as e:
            raise _LostRace from e

    def _remove_finalized(
        self, request: Request, stages: Stages, existing: KeyValue, new: dict
    ) -> Outcome:
        """An update took the last finalizer off an object being deleted: the store deletes
        it (upstream's Store.Update with ShouldDeleteDuringUpdate)."""
        result, trace = self._delete_stored(
            request,
            stages,
            existing,
            stage=f"no finalizers left: deleted {request.key} at revision {REVISION}",
            narration=(
                f"removed the last finalizer of {request.target}, which was being deleted:"
                f" the API server removed {request.key} from etcd at revision {REVISION}"
            ),
        )
        return Outcome(
            body=_with_revision(new, result.revision),
            code=200,
            revision=result.revision,
            events=result.events,
            trace=trace,
        )

    def _delete_namespace(
        self,
        request: Request,
        stages: Stages,
        existing: KeyValue,
        propagation_policy: str | None,
    ) -> Outcome:
        """As upstream's namespace REST Delete: the first delete only marks the namespace
        Terminating; the namespace controller empties it and removes its "kubernetes"
        finalizer (namespaces/finalize), and then it goes."""
        if request.name in SYSTEM_NAMESPACES:
            raise errors.forbidden(request.rt, request.name, "this namespace may not be deleted")
        namespace = copy.deepcopy(existing.value)
        meta = namespace["metadata"]
        if not meta.get("deletionTimestamp"):
            meta["deletionTimestamp"] = format_time(self.sandbox.now())
            namespace.setdefault("status", {})["phase"] = TERMINATING
            _set_finalizers(meta, _finalizers_after_delete(meta, propagation_policy))
            if not _namespace_finalized(namespace):
                stages.passed("admission", "the namespace controller must empty it first")
                what = (
                    "marked it Terminating; the namespace controller deletes what is in it,"
                    " then the namespace goes"
                )
                return self._store_terminating(request, stages, existing, namespace, what)
        if not _namespace_finalized(namespace):
            return self._unchanged(request, stages, existing, "is already terminating")
        stages.passed("admission", "the namespace is finalized: deleting now")
        return self._remove(request, stages, existing)

    def _bind(self, request: Request, stages: Stages, *, body: object) -> Outcome:
        rt = request.rt
        binding = body if isinstance(body, dict) else {}
        target = binding.get("target") or {}
        node = target.get("name", "") if isinstance(target, dict) else ""
        if _meta(binding).get("name", request.name) != request.name:
            raise errors.bad_request("the name of the binding does not match the pod in the URL")
        stages.passed("admission", f"binding to node {node or '?'}")
        if not node:
            raise errors.invalid(_BINDING, request.name, [required("target.name")])
        stages.passed("validation", "the binding names a node")
        existing = self._existing(request)
        pod = copy.deepcopy(existing.value)
        if pod.get("metadata", {}).get("deletionTimestamp"):
            raise errors.conflict(
                rt,
                request.name,
                f"pod {request.name} is being deleted, cannot be assigned to a host",
            )
        if assigned := pod.get("spec", {}).get("nodeName"):
            raise errors.conflict(
                rt, request.name, f'pod {request.name} is already assigned to node "{assigned}"'
            )
        pod["spec"]["nodeName"] = node
        set_condition(pod, "PodScheduled", "True", now=self.sandbox.now())
        result, trace = self._put(
            request,
            stages,
            pod,
            existing.mod_revision,
            code=201,
            stage=f"stored the binding in {request.key} at revision {REVISION}",
            narration=(
                f"bound {request.rt.singular} {request.namespace}/{request.name} to node {node}:"
                f" the API server stored the binding at revision {REVISION}"
            ),
        )
        return Outcome(
            body={
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "code": 201,
            },
            code=201,
            revision=result.revision,
            events=result.events,
            trace=trace,
        )

    def _watch(
        self,
        request: Request,
        stages: Stages,
        *,
        resource_version: str,
        label_selector: str,
        field_selector: str,
    ) -> Outcome:
        rt = request.rt
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(field_selector, rt.name)
        prefix = Request("watch", rt, request.namespace, "").key
        try:
            since = int(resource_version)
        except ValueError as e:
            raise errors.bad_request(f"invalid resource version: {resource_version!r}") from e
        events: list[dict] = []
        if since == 0:
            page = self.store.range(prefix, where=store_column_matches(fields, rt.name))
            since = page.revision
            events = [
                {"type": "ADDED", "object": obj}
                for obj in map(_object, page.items)
                if labels_match(labels, obj) and fields_match(fields, obj)
            ]
        # Read the revision first: every event at or below it is committed and visible.
        upto = self.store.revision()
        try:
            log = self.store.events_since(since, prefix=prefix)
        except TooOld as e:
            raise errors.expired(e.requested, e.compacted) from e
        for event in log:
            if event.revision > upto:
                break
            if change := _watch_event(event, labels, fields):
                events.append(change)
        stages.passed("etcd", f"read the watch log of {prefix} from revision {since} to {upto}")
        return Outcome(
            body={"events": events, "resourceVersion": upto},
            code=200,
            revision=upto,
            narration=f"watched {request.target} from revision {since}: {len(events)} changes",
        )

    # -- helpers -------------------------------------------------------------

    def _resource(self, name: str, subresource: str = "") -> ResourceType:
        rt = RESOURCES.get(name)
        if rt is None:
            raise errors.unknown_resource()
        if subresource and subresource not in rt.subresources:
            raise errors.unknown_resource()
        return rt

    @staticmethod
    def _scope(rt: ResourceType, namespace: str, *, required: bool = True) -> str:
        if not rt.namespaced:
            return ""
        if required and not namespace:
            return "default"
        return namespace

    def _decode(self, rt: ResourceType, body: object, namespace: str) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request(f"the body of the request must be a {rt.kind} object")
        obj = copy.deepcopy(body)
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if api_version and api_version != rt.api_version:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API"
                f" version ({rt.api_version})"
            )
        if kind and kind != rt.kind:
            raise errors.bad_request(
                f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})"
            )
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on"
                    " the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        return obj

    def _admit_namespace(self, request: Request, obj: dict, *, must_exist: bool) -> None:
        """NamespaceLifecycle: objects go only into namespaces that exist and are not
        being terminated. must_exist: check existence here (a valid object's write checks
        it itself, in the store)."""
        if not request.rt.namespaced:
            return
        namespace = self.store.get(f"/registry/namespaces/{request.namespace}")
        if namespace is None:
            if must_exist:
                raise errors.not_found(RESOURCES["namespaces"], request.namespace)
            return
        if namespace.value.get("status", {}).get("phase") == TERMINATING:
            meta = obj["metadata"]
            raise errors.namespace_terminating(
                request.rt,
                meta.get("name") or meta.get("generateName") or "Unknown",
                request.namespace,
            )

    def _default_on_create(self, rt: ResourceType, obj: dict) -> None:
        meta = obj["metadata"]
        for server_owned in ("resourceVersion", *_SERVER_OWNED_METADATA):
            meta.pop(server_owned, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = format_time(self.sandbox.now())
        if rt.has_status:
            meta["generation"] = 1
        rt.default(obj)

    def _validate(
        self, rt: ResourceType, obj: dict, problems: list[FieldError], stages: Stages
    ) -> None:
        if problems:
            raise errors.invalid(rt, _meta(obj).get("name", ""), problems)
        stages.passed("validation", f"the {rt.singular} is valid")

    def _allocate(
        self, rt: ResourceType, obj: dict, old: dict | None, stages: Stages
    ) -> list[_WriteOp]:
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

    def _release(self, rt: ResourceType, objs: list[dict]) -> list[_WriteOp]:
        """What goes back with deleted objects (their Services' IPs and node ports)."""
        if rt.name != "services" or not objs:
            return []
        return service_allocation.on_delete(self.store, objs, format_time(self.sandbox.now()))

    def _existing(self, request: Request) -> KeyValue:
        kv = self.store.get(request.key)
        if kv is None:
            raise errors.not_found(request.rt, request.name)
        return kv

    def _put(
        self,
        request: Request,
        stages: Stages,
        obj: dict,
        expected: int,
        *,
        code: int,
        stage: str,
        narration: str,
        allocations: list[_WriteOp] | None = None,
    ) -> tuple[TxnResult, RecordedTrace]:
        """Write what was computed from the object at `expected` (and the allocations that
        go with it); if another writer got there first, the whole call starts again from a
        fresh read."""
        try:
            return self._write(
                request,
                stages,
                [Put(request.key, obj, expected), *(allocations or [])],
                code=code,
                stage=stage,
                narration=narration,
            )
        except ValueTooLarge as e:
            raise errors.too_large(MAX_VALUE_BYTES) from e
        except CompareFailed as e:
            raise _LostRace from e

    def _grace_period(self, rt: ResourceType, obj: dict, requested: int | None) -> int:
        if not rt.graceful_delete:
            return 0
        spec, status = obj.get("spec", {}), obj.get("status", {})
        # As upstream: a pod no kubelet runs (unscheduled or finished) goes at once.
        if not spec.get("nodeName") or status.get("phase") in {"Succeeded", "Failed"}:
            return 0
        if requested is not None:
            return max(requested, 0)
        return int(spec.get("terminationGracePeriodSeconds", 30))


def _pseudo_resource(name: str, singular: str, kind: str, *, namespaced: bool) -> ResourceType:
    """Targets the API server authorizes and traces but does not serve as a resource."""
    return ResourceType(
        name=name,
        singular=singular,
        kind=kind,
        group="",
        version="v1",
        namespaced=namespaced,
        validate=lambda obj, old: [],
    )


# A lesson's faults and clock, etcd browsing, and the binding of a pod.
_COMPONENTS = _pseudo_resource("components", "component", "Component", namespaced=False)
_ETCD = _pseudo_resource("etcd", "etcd key", "KeyValue", namespaced=False)
_BINDING = _pseudo_resource("bindings", "binding", "Binding", namespaced=True)


def _update_narration(request: Request, new: dict) -> str:
    if request.subresource == "status" and request.rt.name == "pods":
        phase = new.get("status", {}).get("phase", "")
        return (
            f"reported the status of pod {request.namespace}/{request.name} ({phase});"
            f" stored at revision {REVISION}"
        )
    if request.subresource == "scale":
        ref = f"{request.namespace}/{request.name}"
        replicas = new.get("spec", {}).get("replicas")
        return (
            f"scaled {request.rt.singular} {ref} to {replicas} replicas;"
            f" stored at revision {REVISION}"
        )
    return f"updated {request.target}; stored at revision {REVISION}"


def _meta(obj: object) -> dict:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return meta if isinstance(meta, dict) else {}


def _with_revision(obj: dict, revision: int) -> dict:
    result = copy.copy(obj)
    result["metadata"] = {**obj.get("metadata", {}), "resourceVersion": str(revision)}
    return result


def _object(kv: KeyValue) -> dict:
    """A stored value as clients see it: the store's mod_revision is its resourceVersion."""
    return _with_revision(kv.value, kv.mod_revision)


def _take_status_metadata(rt: ResourceType, new: dict, sent: dict) -> None:
    """The metadata a status update may change besides status (rt.status_metadata): a
    Deployment's revision annotation is written with its status, as upstream's
    deployment controller does, and so is no new generation."""
    new_meta, sent_meta = new["metadata"], _meta(sent)
    for key in rt.status_metadata:
        if sent_meta.get(key) is not None:
            new_meta[key] = copy.deepcopy(sent_meta[key])
        else:
            new_meta.pop(key, None)


def _keep_system_metadata(new: dict, old: dict) -> None:
    """Metadata only the API server sets survives a client's update, as upstream's BeforeUpdate.

    A uid the client leaves out is kept; one it changes fails validation as immutable.
    """
    new_meta, old_meta = new["metadata"], old.get("metadata", {})
    new_meta.pop("resourceVersion", None)
    if "uid" in old_meta:
        new_meta.setdefault("uid", old_meta["uid"])
    for key in _SERVER_OWNED_METADATA:
        if key in old_meta:
            new_meta[key] = old_meta[key]
        else:
            new_meta.pop(key, None)


def _check_preconditions(rt: ResourceType, name: str, kv: KeyValue, preconditions: dict) -> None:
    uid = kv.value.get("metadata", {}).get("uid", "")
    if (want := preconditions.get("uid")) and want != uid:
        raise errors.conflict(
            rt, name, f"Precondition failed: UID in precondition: {want}, UID in object meta: {uid}"
        )
    if (want := preconditions.get("resourceVersion")) and want != str(kv.mod_revision):
        raise errors.conflict(
            rt,
            name,
            f"Precondition failed: ResourceVersion in precondition: {want},"
            f" ResourceVersion in object meta: {kv.mod_revision}",
        )


def _validate_delete_options(propagation_policy: str | None) -> None:
    """As upstream's ValidateDeleteOptions."""
    if propagation_policy is not None and propagation_policy not in (
        FOREGROUND,
        BACKGROUND,
        ORPHAN,
    ):
        supported = [FOREGROUND, BACKGROUND, ORPHAN, "nil"]
        raise errors.invalid_delete_options(
            [not_supported("propagationPolicy", propagation_policy, supported)]
        )


def _finalizers_after_delete(meta: dict, propagation_policy: str | None) -> list[str]:
    """The object's finalizers once a delete with this policy is asked (upstream's
    deletionFinalizersForGarbageCollection): an explicit policy decides; without one an
    orphan or foregroundDeletion finalizer already there stays, else Background."""
    finalizers = list(meta.get("finalizers") or [])
    if propagation_policy is None:
        return finalizers
    kept = [f for f in finalizers if f not in (ORPHAN_FINALIZER, FOREGROUND_FINALIZER)]
    if propagation_policy == ORPHAN:
        kept.append(ORPHAN_FINALIZER)
    elif propagation_policy == FOREGROUND:
        kept.append(FOREGROUND_FINALIZER)
    return kept


def _set_finalizers(meta: dict, finalizers: list[str]) -> None:
    if finalizers:
        meta["finalizers"] = finalizers
    else:
        meta.pop("finalizers", None)


def _namespace_finalized(namespace: dict) -> bool:
    return not namespace.get("spec", {}).get("finalizers") and not namespace["metadata"].get(
        "finalizers"
    )


def _should_delete_during_update(rt: ResourceType, new: dict, old: dict) -> bool:
    """An object being deleted whose last finalizer an update removes goes from the store,
    unless a graceful deletion still runs (upstream's ShouldDeleteDuringUpdate; for a
    namespace, spec.finalizers must be empty too: ShouldDeleteNamespaceDuringUpdate)."""
    old_meta = old.get("metadata", {})
    if new["metadata"].get("finalizers") or not old_meta.get("deletionTimestamp"):
        return False
    if rt.name == "namespaces" and new.get("spec", {}).get("finalizers"):
        return False
    return not old_meta.get("deletionGracePeriodSeconds")


def _success_status(rt: ResourceType, name: str, uid: str) -> dict:
    details = {"name": name, "kind": rt.name, "uid": uid}
    if rt.group:
        details["group"] = rt.group
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }


def _watch_event(event: Event, labels, fields) -> dict | None:
    """Translate a store event into a watch event as seen through the selectors.

    An object that stops matching is DELETED for this watcher, one that starts
    matching is ADDED, as the upstream watch cache does.
    """
    old = _with_revision(event.prev_value, event.revision) if event.prev_value else None
    new = _with_revision(event.value, event.revision) if event.value else None
    old_matches = old is not None and labels_match(labels, old) and fields_match(fields, old)
    new_matches = new is not None and labels_match(labels, new) and fields_match(fields, new)
    if new_matches:
        return {"type": "MODIFIED" if old_matches else "ADDED", "object": new}
    if old_matches:
        return {"type": "DELETED", "object": new or old}
    return None


def _event_message(event: Event) -> dict:
    """A store event as the live page receives it."""
    value = event.value if event.value is not None else event.prev_value
    kind = "DELETED" if event.type == "DELETE" else ("MODIFIED" if event.prev_value else "ADDED")
    return {
        "type": kind,
        "key": event.key,
        "revision": event.revision,
        "object": _with_revision(value, event.revision) if value else None,
        "previous": event.prev_value,
    }


def _encode_continue(revision: int, start_after: str) -> str:
    token = json.dumps({"v": 1, "rv": revision, "start": start_after}).encode()
    return base64.urlsafe_b64encode(token).decode()


def _decode_continue(token: str) -> str:
    if not token:
        return ""
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))["start"]
    except (binascii.Error, ValueError, KeyError, TypeError) as e:
        raise errors.bad_request(f"continue key is not valid: {token}") from e
