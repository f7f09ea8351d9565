"""POST pods/<name>/eviction: what `kubectl drain` asks for each pod of a node. An
eviction is a graceful delete that a PodDisruptionBudget may refuse (429); Podlab serves
no budgets, so each is allowed, as upstream allows one no budget covers."""

from __future__ import annotations

from dataclasses import replace

from cluster.apiserver import deletion, errors
from cluster.apiserver.registry import Registry
from cluster.apiserver.results import Outcome
from cluster.apiserver.tracing import Request, Stages

EVICTION_VERSIONS = ("policy/v1", "policy/v1beta1")


def evict(registry: Registry, request: Request, stages: Stages, *, body: object) -> Outcome:
    if not isinstance(body, dict) or body.get("kind", "Eviction") != "Eviction":
        raise errors.bad_request("the body of an eviction must be a policy/v1 Eviction")
    if body.get("apiVersion", "policy/v1") not in EVICTION_VERSIONS:
        raise errors.bad_request(
            f'no kind "Eviction" is registered for version {body["apiVersion"]!r}'
        )
    named = (body.get("metadata") or {}).get("name")
    if named and named != request.name:
        raise errors.bad_request("name in URL does not match name in Eviction object")
    options = body.get("deleteOptions") or {}
    deleted = deletion.delete(
        registry,
        request,
        stages,
        grace_period_seconds=options.get("gracePeriodSeconds"),
        preconditions=options.get("preconditions") or {},
        propagation_policy=options.get("propagationPolicy"),
    )
    success = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    }
    return replace(deleted, body=success, code=201)
