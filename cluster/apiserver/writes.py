"""Writes: create, update, patch, the scale subresource and the binding of a pod."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import partial

from cluster.apiserver import decoding, errors, server_side_apply, strategy
from cluster.apiserver.deletion import remove_finalized
from cluster.apiserver.limits import etcd_request_too_large, quota_exceeded
from cluster.apiserver.patch import apply_patch
from cluster.apiserver.registry import Registry, validated
from cluster.apiserver.results import LostRace, Outcome, meta_of, object_of, with_revision
from cluster.apiserver.scale import (
    SCALE,
    decode_scale,
    replicas_of,
    scale_of,
    uid_conflict,
    validate_scale,
)
from cluster.apiserver.tracing import REVISION, Request, Stages
from cluster.objects import format_time, set_condition
from cluster.resources import RESOURCES
from cluster.resources.field_errors import required
from cluster.resources.meta import dns1123_subdomain_errors, text, validate_name
from cluster.store import (
    CompareFailed,
    KeyValue,
    Put,
    QuotaExceeded,
    RequiredKeyMissing,
    ValueTooLarge,
)


def create(registry: Registry, request: Request, stages: Stages, *, body: object) -> Outcome:
    rt = request.rt
    obj = strategy.decode(rt, body, request.namespace)
    meta = obj["metadata"]
    strategy.generate_name(meta)
    request.name = meta.get("name") or ""
    strategy.default_on_create(rt, obj, registry.sandbox.now())
    admitted = [f"{plugin.name}: {plugin.admit(obj)}" for plugin in rt.admission]
    stages.passed(
        "admission",
        "; ".join([f"defaulted the {rt.singular} and gave it uid {meta['uid']}", *admitted]),
    )
    problems = rt.validate(obj, None)
    # Upstream's order: NamespaceLifecycle admission answers before validation.
    namespace_requirements = registry.admit_namespace(request, obj, must_exist=bool(problems))
    validated(rt, obj, problems, stages)
    if not request.name:
        raise errors.invalid(
            rt, "", [required("metadata.name", "name or generateName is required")]
        )
    allocations = registry.allocate(rt, obj, None, stages)
    try:
        result, trace = registry.write(
            request,
            stages,
            [Put(request.key, obj, expect_mod_revision=0), *allocations],
            # NamespaceLifecycle for a valid object: the namespace must exist, as admitted,
            # when the object is stored, checked by the store in the write itself (etcd's
            # compare on another key).
            requires=namespace_requirements,
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
            raise LostRace from e
        raise errors.already_exists(rt, request.name) from e
    except ValueTooLarge as e:
        raise etcd_request_too_large() from e
    except QuotaExceeded as e:
        raise quota_exceeded(rt, request.name, e) from e
    # A dry run's object was never stored: it has no resourceVersion yet, as upstream's.
    answer = obj if request.dry_run else with_revision(obj, result.revision)
    return Outcome.of_write(result, trace, answer, code=201)


def update(registry: Registry, request: Request, stages: Stages, *, body: object) -> Outcome:
    if request.subresource == "scale":
        return _update_scale(registry, request, stages, registry.existing(request), body)
    obj = strategy.decode(request.rt, body, request.namespace)
    existing = registry.existing(request)
    # A lost race is retried from a fresh read, where a stale precondition is a 409.
    strategy.check_resource_version(request.rt, request.name, obj, existing)
    return _write_update(registry, request, stages, existing, obj)


def patch(
    registry: Registry, request: Request, stages: Stages, *, patch: object, patch_type: str
) -> Outcome:
    decoding.check_patch(patch)  # before it is applied (and copied, and walked)
    existing = registry.existing(request)
    if request.subresource == "scale":
        current = scale_of(request.rt, object_of(existing))
        patched_scale = apply_patch(current, patch, patch_type)
        return _update_scale(registry, request, stages, existing, patched_scale)
    patched = apply_patch(object_of(existing), patch, patch_type)
    strategy.check_resource_version(request.rt, request.name, patched, existing)
    obj = strategy.decode(request.rt, patched, request.namespace)
    return _write_update(registry, request, stages, existing, obj)


def apply(
    registry: Registry,
    request: Request,
    stages: Stages,
    *,
    config: object,
    manager: str,
    force: bool,
) -> Outcome:
    """A server-side apply by `manager` (server_side_apply.py): an update of the object,
    or its create (201) when there is none yet, as upstream's applyPatcher."""
    rt = request.rt
    decoding.check_patch(config)
    if not isinstance(config, dict):
        raise errors.bad_request(
            f"json: cannot unmarshal {decoding.json_type(config)} into Go value of type"
            " map[string]interface {}"
        )
    if request.subresource:
        raise errors.bad_request(
            f"Podlab serves no server-side apply to the {request.subresource} subresource"
        )
    decoding.check_type_meta(rt, config)
    decoding.check_object_meta(rt, config)
    named = meta_of(config).get("name")
    if named and named != request.name:
        raise errors.bad_request(
            f"the name of the object ({named}) does not match the name on the URL ({request.name})"
        )
    request.applied_by = manager
    target = server_side_apply.Target(rt.kind, rt.api_version, rt.has_status)
    now = format_time(registry.sandbox.now())
    existing = registry.store.get(request.key)
    live = object_of(existing) if existing else None
    try:
        applied = server_side_apply.apply(
            live, config, manager=manager, force=force, target=target, now=now
        )
    except server_side_apply.ApplyConflicts as conflicts:
        raise errors.apply_conflict(conflicts.message, conflicts.causes) from conflicts
    if existing is None:
        applied.setdefault("metadata", {})["name"] = request.name
        return create(registry, request, stages, body=applied)
    if not meta_of(applied).get("managedFields"):
        # No manager owns anything now: said so, or the update would keep the old entries.
        applied["metadata"]["managedFields"] = copy.deepcopy(strategy.RESET_MANAGED_FIELDS)
    strategy.check_resource_version(rt, request.name, applied, existing)
    obj = strategy.decode(rt, applied, request.namespace)
    return _write_update(registry, request, stages, existing, obj)


def _update_scale(
    registry: Registry, request: Request, stages: Stages, existing: KeyValue, body: object
) -> Outcome:
    """PUT or PATCH <workload>/scale: the Scale's replicas become the object's
    spec.replicas, then the object is updated as any update is (upstream's
    scaleUpdatedObjectInfo), and the answer is the new Scale."""
    rt = request.rt
    scale = decode_scale(body)
    if problems := validate_scale(scale, namespace=request.namespace):
        raise errors.invalid(SCALE, request.name, problems)
    if conflict := uid_conflict(rt, request.name, scale, meta_of(existing.value).get("uid", "")):
        raise conflict
    strategy.check_resource_version(rt, request.name, scale, existing)
    obj = copy.deepcopy(existing.value)
    obj.setdefault("spec", {})["replicas"] = replicas_of(scale)
    return _write_update(registry, request, stages, existing, obj, answer=partial(scale_of, rt))


def _write_update(
    registry: Registry,
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
    new, problems = strategy.prepare_update(rt, request.subresource, obj, old)
    stages.passed("admission", "kept the fields this request may not change")
    validated(rt, new, problems, stages)
    allocations = [] if request.subresource else registry.allocate(rt, new, old, stages)
    if new == old:
        stages.passed(
            "etcd", f"nothing changed; {request.key} stays at revision {existing.mod_revision}"
        )
        return Outcome(
            body=answer(object_of(existing)),
            code=200,
            revision=existing.mod_revision,
            narration=f"sent an unchanged {request.target}; nothing was written",
        )
    if strategy.should_delete_during_update(rt, new, old):
        return remove_finalized(registry, request, stages, existing, new)
    result, trace = registry.put(
        request,
        stages,
        new,
        existing.mod_revision,
        code=200,
        stage=f"stored {request.key} at revision {REVISION}",
        narration=_update_narration(request, new),
        allocations=allocations,
    )
    return Outcome.of_write(result, trace, answer(with_revision(new, result.revision)))


def bind(registry: Registry, request: Request, stages: Stages, *, body: object) -> Outcome:
    """POST pods/<name>/binding: the pod gets its node, once (upstream's BindingREST)."""
    rt = request.rt
    binding = body if isinstance(body, dict) else {}
    decoding.check_body(strategy.BINDING, binding)
    target = binding.get("target") or {}
    node = target.get("name", "") if isinstance(target, dict) else ""
    if meta_of(binding).get("name", request.name) != request.name:
        raise errors.bad_request("the name of the binding does not match the pod in the URL")
    stages.passed("admission", f"binding to node {node or '?'}")
    if not node:
        raise errors.invalid(strategy.BINDING, request.name, [required("target.name")])
    # Ours: upstream's ValidatePodBinding only wants a name, and a pod bound to one no node
    # could have fails every later update's validation of spec.nodeName.
    if problems := validate_name(text(node), "target.name", dns1123_subdomain_errors):
        raise errors.invalid(strategy.BINDING, request.name, problems)
    stages.passed("validation", "the binding names a node")
    existing = registry.existing(request)
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
    set_condition(pod, "PodScheduled", "True", now=registry.sandbox.now())
    result, trace = registry.put(
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
