"""The API server: the only writer of the store.

Every call passes the same named stages, as in kube-apiserver: authentication,
authorization, admission (defaulting and namespace checks), validation, then
the store. Each call is traced, and after commit its store events and trace
are published to the sandbox's live group.

This module is the pipeline (upstream's request handling: authentication,
authorization, tracing, retries, publishing). What each verb does to objects lives
beside it: strategy (decode, defaults, preconditions), writes, deletion, reads, and
the registry through which they reach the store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from functools import partial

from django.db import transaction

from cluster.apiserver import (
    deletion,
    errors,
    eviction,
    limits,
    logs,
    reads,
    strategy,
    writes,
)
from cluster.apiserver.authn import Caller, caller_for_component, caller_for_token, caller_for_user
from cluster.apiserver.authz import authorize
from cluster.apiserver.errors import ApiError
from cluster.apiserver.options import (
    APPLY,
    CREATE,
    DELETE,
    PATCH,
    UPDATE,
    WriteOptions,
    checked,
)
from cluster.apiserver.publish import publish_changes
from cluster.apiserver.registry import Registry
from cluster.apiserver.results import LostRace, Outcome, WatchBatch, meta_of
from cluster.apiserver.strategy import COMPONENTS, ETCD
from cluster.apiserver.tracing import (
    RecordedTrace,
    Request,
    Stages,
    failure_narration,
    record_trace,
)
from cluster.models import Sandbox
from cluster.resources.keys import REGISTRY_ROOT
from cluster.store import Event

_RACE_RETRIES = 5
NO_OPTIONS = WriteOptions()
# The pipeline stage a failed request stopped at, by status code.
_FAILED_STAGE = {401: "authentication", 403: "authorization", 422: "validation", 400: "decoding"}
# Refusals by authentication and authorization: the caller is not one of the sandbox's.
_REFUSED_AT_THE_DOOR = (401, 403)
audit = logging.getLogger("podlab.audit")

__all__ = ["ApiServer", "WatchBatch"]


class ApiServer:
    """The API server of one sandbox, serving one caller.

    Build it with as_user, as_token or as_component. Methods take resource
    names as in URLs ("pods", "nodes", "leases") and Kubernetes JSON objects,
    return Kubernetes JSON, and raise ApiError carrying a Status.
    """

    def __init__(self, sandbox: Sandbox, authenticate: Callable[[], Caller], *, command: str = ""):
        self.sandbox = sandbox
        self.store = limits.sandbox_store(sandbox.pk)
        self.registry = Registry(sandbox, self.store, self._narration)
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

    def create(
        self,
        resource: str,
        obj: dict,
        *,
        namespace: str = "",
        options: WriteOptions = NO_OPTIONS,
    ) -> dict:
        """options.dry_run ["All"]: every stage runs, nothing is stored (the answer is the
        object as it would have been created)."""
        rt = strategy.resource(resource)
        request = Request("create", rt, strategy.scope(rt, namespace), _name_of(obj))
        handler = partial(writes.create, self.registry, body=obj)
        return self._serve(request, checked(CREATE, options, handler))

    def get(self, resource: str, name: str, *, namespace: str = "", subresource: str = "") -> dict:
        """subresource "scale": the workload's autoscaling/v1 Scale."""
        rt = strategy.resource(resource, subresource)
        request = Request("get", rt, strategy.scope(rt, namespace), name, subresource)
        return self._serve(request, partial(reads.get, self.registry))

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
        rt = strategy.resource(resource)
        request = Request("list", rt, strategy.scope(rt, namespace, required=False))
        handler = partial(
            reads.list_objects,
            self.registry,
            label_selector=label_selector,
            field_selector=field_selector,
            limit=limit,
            continue_token=continue_token,
        )
        return self._serve(request, handler)

    def update(
        self,
        resource: str,
        obj: dict,
        *,
        namespace: str = "",
        subresource: str = "",
        options: WriteOptions = NO_OPTIONS,
    ) -> dict:
        rt = strategy.resource(resource, subresource)
        name = _name_of(obj)
        request = Request("update", rt, strategy.scope(rt, namespace), name, subresource)
        handler = partial(writes.update, self.registry, body=obj)
        return self._serve(request, checked(UPDATE, options, handler))

    def patch(
        self,
        resource: str,
        name: str,
        patch: object,
        *,
        patch_type: str = "merge",
        namespace: str = "",
        subresource: str = "",
        options: WriteOptions = NO_OPTIONS,
    ) -> dict:
        """patch_type: 'merge' (RFC 7386), 'json' (RFC 6902), 'strategic' (kubectl's
        strategic merge, cluster/apiserver/strategic_merge.py), or their media types, or
        'apply' (see apply)."""
        if patch_type == APPLY:
            return self.apply(
                resource, name, patch, namespace=namespace, subresource=subresource, options=options
            )[0]
        rt = strategy.resource(resource, subresource)
        request = Request("patch", rt, strategy.scope(rt, namespace), name, subresource)
        handler = partial(writes.patch, self.registry, patch=patch, patch_type=patch_type)
        return self._serve(request, checked(PATCH, options, handler, patch_type=patch_type))

    def apply(
        self,
        resource: str,
        name: str,
        config: object,
        *,
        namespace: str = "",
        subresource: str = "",
        options: WriteOptions = NO_OPTIONS,
    ) -> tuple[dict, bool]:
        """A server-side apply of config by options.field_manager (a PATCH of type
        application/apply-patch+yaml; server_side_apply.py): the object, and whether the
        apply created it (upstream answers 201 then)."""
        rt = strategy.resource(resource, subresource)
        request = Request("patch", rt, strategy.scope(rt, namespace), name, subresource)
        handler = partial(
            writes.apply,
            self.registry,
            config=config,
            manager=options.field_manager,
            force=bool(options.force),
        )
        outcome = self._outcome(request, checked(PATCH, options, handler, patch_type=APPLY))
        return outcome.body, outcome.code == 201

    def delete(
        self,
        resource: str,
        name: str,
        *,
        namespace: str = "",
        grace_period_seconds: int | None = None,
        preconditions: dict | None = None,
        propagation_policy: str | None = None,
        options: WriteOptions = NO_OPTIONS,
    ) -> dict:
        """propagation_policy: what happens to the object's dependents (DeleteOptions'
        propagationPolicy): "Background" (the garbage collector deletes them after),
        "Foreground" (it deletes them first, the object waits with the foregroundDeletion
        finalizer), "Orphan" (they lose their ownerReferences); None keeps the object's
        finalizers' choice, else Background."""
        rt = strategy.resource(resource)
        request = Request("delete", rt, strategy.scope(rt, namespace), name)
        handler = partial(
            deletion.delete,
            self.registry,
            grace_period_seconds=grace_period_seconds,
            preconditions=preconditions or {},
            propagation_policy=propagation_policy,
        )
        return self._serve(request, checked(DELETE, options, handler))

    def delete_collection(
        self,
        resource: str,
        *,
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        options: WriteOptions = NO_OPTIONS,
    ) -> dict:
        """DELETE on a collection (verb deletecollection), as upstream's
        Store.DeleteCollection: the objects the selectors match are listed, then each is
        deleted as a delete is (a pod gracefully), traced one by one; one already gone
        is no failure. Answers the list as it was before the deletes, as upstream."""
        rt = strategy.resource(resource)
        request = Request("deletecollection", rt, strategy.scope(rt, namespace, required=False))
        listing = partial(
            deletion.list_to_delete,
            self.registry,
            label_selector=label_selector,
            field_selector=field_selector,
            grace_period_seconds=grace_period_seconds,
            propagation_policy=propagation_policy,
        )
        listed = self._serve(request, checked(DELETE, options, listing))
        delete_each = checked(
            DELETE,
            options,
            partial(
                deletion.delete,
                self.registry,
                grace_period_seconds=grace_period_seconds,
                preconditions={},
                propagation_policy=propagation_policy,
            ),
        )
        granted = f"allowed by the {request.verb} of {request.target}"
        failures = []
        for item in listed["items"]:
            meta = item["metadata"]
            each = Request("delete", rt, meta.get("namespace", ""), meta["name"])
            try:
                self._serve(each, delete_each, authorized_by=granted)
            except ApiError as error:
                if error.code != 404:  # deleted meanwhile: as asked
                    failures.append(error)
        if failures:
            raise failures[0]
        return listed

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
        rt = strategy.resource("pods", "binding")
        request = Request("create", rt, namespace, pod_name, "binding")
        return self._serve(request, partial(writes.bind, self.registry, body=binding))

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
        rt = strategy.resource(resource)
        request = Request("watch", rt, strategy.scope(rt, namespace, required=False))
        handler = partial(
            reads.watch,
            self.registry,
            resource_version=str(resource_version or "0"),
            label_selector=label_selector,
            field_selector=field_selector,
        )
        result: dict = self._serve(request, handler)
        return WatchBatch(result["events"], result["resourceVersion"])

    def evict(self, pod_name: str, body: dict, *, namespace: str) -> dict:
        """POST pods/<name>/eviction (kubectl drain): a graceful delete of the pod."""
        rt = strategy.resource("pods", "eviction")
        request = Request("create", rt, strategy.scope(rt, namespace), pod_name, "eviction")
        return self._serve(request, partial(eviction.evict, self.registry, body=body))

    def pod_log(
        self,
        name: str,
        *,
        namespace: str,
        container: str = "",
        previous: bool = False,
        tail_lines: int | None = None,
        timestamps: bool = False,
        skip: int | None = None,
    ) -> logs.LogRead:
        """GET pods/<name>/log: the container's output, as its kubelet has it. skip: the
        next look of a `kubectl logs -f` that has shown that many lines: authorized
        again, not traced again (the follow is one call, as a watch is)."""
        rt = strategy.resource("pods", "log")
        request = Request("get", rt, strategy.scope(rt, namespace), name, "log")
        handler = partial(
            logs.pod_log,
            self.registry,
            container=container,
            previous=previous,
            tail_lines=tail_lines if skip is None else None,
            timestamps=timestamps,
            skip=skip or 0,
        )
        if skip is None:
            return self._serve(request, handler)["read"]
        caller = self._caller_or_raise()
        authorize(
            caller,
            self.sandbox,
            verb="get",
            rt=rt,
            namespace=request.namespace,
            name=name,
            subresource="log",
        )
        return handler(request, Stages()).body["read"]

    def watch_more(
        self,
        resource: str,
        *,
        resource_version: str | int,
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
    ) -> WatchBatch:
        """The next changes of a watch that watch() began: authorized again, not traced
        again. An HTTP watch is one call however long it stays open, as upstream's audit
        log has it: one line on the timeline, not one per change it streams."""
        rt = strategy.resource(resource)
        request = Request("watch", rt, strategy.scope(rt, namespace, required=False))
        caller = self._caller_or_raise()
        authorize(caller, self.sandbox, verb="watch", rt=rt, namespace=request.namespace, name="")
        outcome = reads.watch(
            self.registry,
            request,
            Stages(),
            resource_version=str(resource_version),
            label_selector=label_selector,
            field_selector=field_selector,
        )
        return WatchBatch(outcome.body["events"], outcome.body["resourceVersion"])

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
        rt = strategy.resource(resource) if resource else COMPONENTS
        request = Request(action, rt, strategy.scope(rt, namespace) if resource else "", target)

        def handler(request: Request, stages: Stages) -> Outcome:
            apply()
            stages.passed("fault", narration)
            return Outcome(body={}, code=200, revision=self.store.revision(), narration=narration)

        self._serve(request, handler, atomic=True)

    def etcd_browse(self, prefix: str = REGISTRY_ROOT, *, key: str = "") -> dict:
        """What `etcdctl get --prefix` would show, for the lesson's etcd browser: the keys
        under prefix with their revisions, and for `key` its value and history. Read
        through the API server like everything else, so it is authorized and traced."""
        request = Request("get", ETCD, "", key or prefix)
        handler = partial(reads.etcd_browse, self.registry, prefix=prefix, key=key)
        return self._serve(request, handler)

    # -- the pipeline --------------------------------------------------------

    def _serve(
        self,
        request: Request,
        handler: Callable[[Request, Stages], Outcome],
        *,
        atomic: bool = False,
        authorized_by: str = "",
    ) -> dict:
        """atomic: run the handler and its trace in one transaction (a fault's changes).
        authorized_by: why a call this server makes on its own is allowed, when the call
        that makes it was authorized already (each delete of a deletecollection)."""
        return self._outcome(request, handler, atomic=atomic, authorized_by=authorized_by).body

    def _outcome(
        self,
        request: Request,
        handler: Callable[[Request, Stages], Outcome],
        *,
        atomic: bool = False,
        authorized_by: str = "",
    ) -> Outcome:
        """The call's outcome: its answer and its code."""
        stages = Stages()
        request.command = self.command
        try:
            caller = self._caller_or_raise()
            request.actor = caller.actor
            request.user_agent = caller.user_agent
            stages.passed("authentication", f"{caller.describe()} (as {caller.username})")
            why = authorized_by or authorize(
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
            at_the_door = not any(
                entry["stage"] == "authorization" and entry["ok"] for entry in stages.entries
            )
            # A 403 once authorized is admission's (a quota, a namespace being deleted).
            stage = "admission" if error.code == 403 and not at_the_door else error.stage
            stages.failed(stage or _FAILED_STAGE.get(error.code, "etcd"), error.message)
            actor = request.actor
            if error.code in _REFUSED_AT_THE_DOOR and at_the_door:
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
    ) -> Outcome:
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
                return outcome
            except LostRace:
                continue
        raise errors.conflict(request.rt, request.name)

    def _narration(self, request: Request, what: str) -> str:
        if request.applied_by:
            what = f"{what} (a server-side apply by field manager {request.applied_by})"
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
                [reads.event_message(e) for e in events],
                [trace.message],
                actor=trace.actor,
                sender=ApiServer,
            )
        )


def _name_of(obj: object) -> str:
    """The name a body gives itself, for the request's trace and key until the body is
    decoded (which refuses a name that is not a string)."""
    name = meta_of(obj).get("name")
    return name if isinstance(name, str) else ""
