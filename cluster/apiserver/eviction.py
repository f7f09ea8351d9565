"""POST pods/<name>/eviction: what `kubectl drain` asks for each pod of a node. An
eviction is a graceful delete that a PodDisruptionBudget may refuse (429); Podlab serves
no budgets, so each is allowed, as upstream allows one no budget covers."""

from __future__ import annotations

from dataclasses import replace

from cluster.apiserver import deletion, errors
from cluster.apiserver.options import DELETE, WriteOptions, problems
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
    dry_run = WriteOptions(dry_run=_dry_run_values(options.get("dryRun")))
    if found := problems(DELETE, dry_run):
        raise errors.invalid_options(DELETE, found)
    request.dry_run = dry_run.is_dry_run  # kubectl drain --dry-run=server
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


def _dry_run_values(sent: object) -> tuple[str, ...]:
    if sent is None:
        return ()
    if not isinstance(sent, list) or not all(isinstance(value, str) for value in sent):
        raise errors.bad_request(
            "json: cannot unmarshal into Go struct field DeleteOptions.dryRun of type []string"
        )
    return tuple(sent)
