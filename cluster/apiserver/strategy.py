"""The object strategy: how the API server decodes, defaults and prepares objects, and
what a delete does to them, as upstream's rest.RESTCreateStrategy, RESTUpdateStrategy and
rest.BeforeDelete. Pure functions of the objects (and the sandbox's clock): no store."""

from __future__ import annotations

import copy
import datetime as dt
import secrets
import uuid

from cluster.apiserver import decoding, errors
from cluster.apiserver.results import meta_of
from cluster.objects import format_time, parse_time
from cluster.resources import RESOURCES, ResourceType
from cluster.resources.field_errors import FieldError, not_supported
from cluster.resources.meta import is_integer
from cluster.resources.pod_validation import MAX_GRACE_PERIOD_SECONDS
from cluster.store import KeyValue

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
TERMINATING = "Terminating"
# Upstream's generateName suffix alphabet: no vowels, no look-alike characters.
_NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_NAME_SUFFIX_LENGTH = 5
_MAX_GENERATED_NAME_BASE = 63 - _NAME_SUFFIX_LENGTH  # upstream's maxGeneratedNameLength
SERVER_OWNED_METADATA = (
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
)
# The managedFields an update sends to clear them (upstream's isResetManagedFields).
RESET_MANAGED_FIELDS = [{}]
# DeleteOptions' propagationPolicy values, and the finalizers the garbage collector
# honours (metav1.FinalizerOrphanDependents, FinalizerDeleteDependents).
BACKGROUND, FOREGROUND, ORPHAN = "Background", "Foreground", "Orphan"
ORPHAN_FINALIZER = "orphan"
FOREGROUND_FINALIZER = "foregroundDeletion"
# Kinds whose strategy says rest.Unsupported to garbage collection (upstream's
# eventStrategy.DefaultGarbageCollectionPolicy): a propagationPolicy changes nothing.
GC_UNSUPPORTED = frozenset({"events"})


def pseudo_resource(name: str, singular: str, kind: str, *, namespaced: bool) -> ResourceType:
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
COMPONENTS = pseudo_resource("components", "component", "Component", namespaced=False)
ETCD = pseudo_resource("etcd", "etcd key", "KeyValue", namespaced=False)
BINDING = pseudo_resource("bindings", "binding", "Binding", namespaced=True)


def resource(name: str, subresource: str = "") -> ResourceType:
    """The type a URL's resource (and subresource) names; 404 for one not served."""
    rt = RESOURCES.get(name)
    if rt is None or (subresource and subresource not in rt.subresources):
        raise errors.unknown_resource()
    return rt


def scope(rt: ResourceType, namespace: str, *, required: bool = True) -> str:
    """The request's namespace: none for cluster-scoped types, "default" when a namespaced
    call names none (a list or watch without one spans all namespaces)."""
    if not rt.namespaced:
        return ""
    if required and not namespace:
        return "default"
    return namespace


def decode(rt: ResourceType, body: object, namespace: str) -> dict:
    """The request body as an object of rt in the request's namespace, or 400."""
    if not isinstance(body, dict):
        raise errors.bad_request(f"the body of the request must be a {rt.kind} object")
    # Before anything copies or reads it: a body JSON cannot carry is refused whole.
    decoding.check_body(rt, body)
    decoding.check_type_meta(rt, body)
    decoding.check_object_meta(rt, body)
    obj = copy.deepcopy(body)
    obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
    meta = obj.get("metadata")
    if meta is None:
        meta = obj["metadata"] = {}
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


def generate_name(meta: dict) -> None:
    """generateName plus five random characters, when the object has no name. As
    upstream's SimpleNameGenerator, a long base is cut so that the name stays a valid
    DNS label (63 characters): a ReplicaSet's long name still makes pods that fit."""
    if not meta.get("name") and meta.get("generateName"):
        base = meta["generateName"][:_MAX_GENERATED_NAME_BASE]
        meta["name"] = base + "".join(
            secrets.choice(_NAME_SUFFIX_ALPHABET) for _ in range(_NAME_SUFFIX_LENGTH)
        )


def default_on_create(rt: ResourceType, obj: dict, now: dt.datetime) -> None:
    """What the server sets on a new object (upstream's BeforeCreate), then the type's
    defaults."""
    meta = obj["metadata"]
    for server_owned in ("resourceVersion", *SERVER_OWNED_METADATA):
        meta.pop(server_owned, None)
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = format_time(now)
    if rt.generation_changed is not None:
        meta["generation"] = 1
    rt.default(obj)


def check_resource_version(rt: ResourceType, name: str, sent: dict, existing: KeyValue) -> None:
    """An update that names a resourceVersion applies only to that version (409 else)."""
    precondition = meta_of(sent).get("resourceVersion")
    if precondition and precondition != str(existing.mod_revision):
        raise errors.conflict(rt, name)


def prepare_update(
    rt: ResourceType, subresource: str, obj: dict, old: dict
) -> tuple[dict, list[FieldError]]:
    """The object an update stores, and what is wrong with it (upstream's
    PrepareForUpdate and ValidateUpdate of the main resource or of its subresource)."""
    if subresource == "status":
        new = copy.deepcopy(old)
        new["status"] = obj.get("status") or {}
        _take_status_metadata(rt, new, obj)
        return new, rt.validate_status(new, old)
    if subresource == "finalize":
        # Upstream's namespace finalizeStrategy: only spec.finalizers changes.
        new = copy.deepcopy(old)
        new.setdefault("spec", {})["finalizers"] = (obj.get("spec") or {}).get("finalizers") or []
        return new, rt.validate(new, old)
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
    changed = rt.generation_changed
    if changed is not None and "generation" in old.get("metadata", {}) and changed(new, old):
        new["metadata"]["generation"] = old["metadata"]["generation"] + 1
    return new, rt.validate(new, old)


def _take_status_metadata(rt: ResourceType, new: dict, sent: dict) -> None:
    """The metadata a status update may change besides status (rt.status_metadata): a
    Deployment's revision annotation is written with its status, as upstream's
    deployment controller does, and so is no new generation."""
    new_meta, sent_meta = new["metadata"], meta_of(sent)
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
    for key in SERVER_OWNED_METADATA:
        if key in old_meta:
            new_meta[key] = old_meta[key]
        else:
            new_meta.pop(key, None)
    _keep_managed_fields(new_meta, old_meta)


def _keep_managed_fields(new_meta: dict, old_meta: dict) -> None:
    """As upstream's fieldmanager: an update that sends no managedFields (a client that
    knows nothing of them) keeps the object's; RESET_MANAGED_FIELDS clears them."""
    sent = new_meta.get("managedFields")
    if sent == RESET_MANAGED_FIELDS:
        new_meta.pop("managedFields")
    elif not sent and old_meta.get("managedFields"):
        new_meta["managedFields"] = copy.deepcopy(old_meta["managedFields"])
    elif not sent:
        new_meta.pop("managedFields", None)


def should_delete_during_update(rt: ResourceType, new: dict, old: dict) -> bool:
    """An object being deleted whose last finalizer an update removes goes from the store,
    unless a graceful deletion still runs (upstream's ShouldDeleteDuringUpdate; for a
    namespace, spec.finalizers must be empty too: ShouldDeleteNamespaceDuringUpdate)."""
    old_meta = old.get("metadata", {})
    if new["metadata"].get("finalizers") or not old_meta.get("deletionTimestamp"):
        return False
    if rt.name == "namespaces" and new.get("spec", {}).get("finalizers"):
        return False
    return not old_meta.get("deletionGracePeriodSeconds")


# -- deletion ----------------------------------------------------------------------


def check_preconditions(rt: ResourceType, name: str, kv: KeyValue, preconditions: dict) -> None:
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


def validate_delete_options(
    propagation_policy: object, grace_period_seconds: object, preconditions: object
) -> None:
    """As upstream's ValidateDeleteOptions, after the options decoded as DeleteOptions
    (gracePeriodSeconds an int64, preconditions strings)."""
    if grace_period_seconds is not None and (
        not is_integer(grace_period_seconds)
        or not decoding.MIN_INT64 <= grace_period_seconds <= decoding.MAX_INT64
    ):
        raise errors.bad_request(
            "json: cannot unmarshal "
            f"{decoding.json_type(grace_period_seconds)} into Go struct field"
            " DeleteOptions.gracePeriodSeconds of type int64"
        )
    if not isinstance(preconditions, dict) or not all(
        isinstance(value, str | None) for value in preconditions.values()
    ):
        raise errors.bad_request(
            "json: cannot unmarshal preconditions into Go struct field"
            " DeleteOptions.preconditions of type v1.Preconditions"
        )
    if propagation_policy is not None and propagation_policy not in (
        FOREGROUND,
        BACKGROUND,
        ORPHAN,
    ):
        supported = [FOREGROUND, BACKGROUND, ORPHAN, "nil"]
        raise errors.invalid_delete_options(
            [not_supported("propagationPolicy", propagation_policy, supported)]
        )


def before_delete(
    rt: ResourceType, obj: dict, requested: int | None, now: dt.datetime
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
    grace = _grace_period(rt, obj, requested)
    meta["deletionTimestamp"] = format_time(now + dt.timedelta(seconds=grace))
    meta["deletionGracePeriodSeconds"] = grace
    return True, False


def _grace_period(rt: ResourceType, obj: dict, requested: int | None) -> int:
    if not rt.graceful_delete:
        return 0
    spec, status = obj.get("spec", {}), obj.get("status", {})
    # As upstream: a pod no kubelet runs (unscheduled or finished) goes at once.
    if not spec.get("nodeName") or status.get("phase") in {"Succeeded", "Failed"}:
        return 0
    if requested is not None:
        # Ours: no longer than a pod may ask for itself, so the deadline stays a date.
        return min(max(requested, 0), MAX_GRACE_PERIOD_SECONDS)
    return int(spec.get("terminationGracePeriodSeconds", 30))


def mark_as_deleting(meta: dict, now: dt.datetime) -> None:
    """A kind without graceful deletion held by finalizers: deleted as of now, grace 0
    (upstream's markAsDeleting); the generation moves so controllers notice."""
    if not meta.get("deletionTimestamp") and meta.get("generation", 0) > 0:
        meta["generation"] += 1
    if not meta.get("deletionTimestamp") or parse_time(meta["deletionTimestamp"]) > now:
        meta["deletionTimestamp"] = format_time(now)
    meta["deletionGracePeriodSeconds"] = 0


def finalizers_after_delete(meta: dict, propagation_policy: str | None) -> list[str]:
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


def set_finalizers(meta: dict, finalizers: list[str]) -> None:
    if finalizers:
        meta["finalizers"] = finalizers
    else:
        meta.pop("finalizers", None)


def namespace_finalized(namespace: dict) -> bool:
    return not namespace.get("spec", {}).get("finalizers") and not namespace["metadata"].get(
        "finalizers"
    )


def success_status(rt: ResourceType, name: str, uid: str) -> dict:
    """What a delete that removed a non-graceful object answers."""
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
