"""The Deployment controller's arithmetic, as upstream's pkg/controller/deployment/util:
fenceposts, how many replicas a new ReplicaSet may have, proportions when scaling,
revisions, and the orderings of ReplicaSets. Pure functions over API-shaped dicts."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping, Sequence

from cluster.components.controllers.deployment_hash import equal_ignore_hash

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
DEPRECATED_ROLLBACK_TO = "deprecated.deployment.rollback.to"
# Annotations never copied between a Deployment and its ReplicaSets (annotationsToSkip).
ANNOTATIONS_TO_SKIP = frozenset(
    {
        LAST_APPLIED_ANNOTATION,
        REVISION_ANNOTATION,
        REVISION_HISTORY_ANNOTATION,
        DESIRED_REPLICAS_ANNOTATION,
        MAX_REPLICAS_ANNOTATION,
        DEPRECATED_ROLLBACK_TO,
    }
)
# Upstream's maxRevHistoryLengthInChars: the revision-history annotation stays short.
MAX_REVISION_HISTORY_CHARS = 2000

ROLLING_UPDATE = "RollingUpdate"
RECREATE = "Recreate"
MAX_INT32 = 2**31 - 1


class InvalidIntOrPercent(ValueError):
    pass


def with_defaults(deployment: Mapping) -> dict:
    """A copy with apps/v1's defaults (SetDefaults_Deployment) where a field is missing, so
    the controller reads what a real API server would have stored."""
    d = copy.deepcopy(dict(deployment))
    spec = d.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", ROLLING_UPDATE)
    if strategy["type"] == ROLLING_UPDATE:
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    spec.setdefault("minReadySeconds", 0)
    d.setdefault("metadata", {})
    d.setdefault("status", {})
    return d


def replicas(obj: Mapping | None) -> int:
    """spec.replicas of a Deployment or ReplicaSet (1 when unset, as the API defaults)."""
    if obj is None:
        return 0
    return int((obj.get("spec") or {}).get("replicas", 1))


def status_of(obj: Mapping | None, field: str) -> int:
    if obj is None:
        return 0
    return int((obj.get("status") or {}).get(field) or 0)


def is_rolling_update(d: Mapping) -> bool:
    return d["spec"]["strategy"].get("type") == ROLLING_UPDATE


# -- int-or-percent and the fenceposts --------------------------------------------------


def scaled_value(value: int | str | None, total: int, *, round_up: bool) -> int:
    """As intstr.GetScaledValueFromIntOrPercent: an int as is, "25%" of total rounded."""
    if isinstance(value, bool) or value is None:
        raise InvalidIntOrPercent(f"invalid type: neither int nor percentage: {value!r}")
    if isinstance(value, int):
        return value
    if not isinstance(value, str) or not value.endswith("%"):
        raise InvalidIntOrPercent("invalid type: string is not a percentage")
    try:
        percent = int(value[:-1])
    except ValueError:
        raise InvalidIntOrPercent(f"invalid value {value!r}") from None
    scaled = percent * total
    return -(-scaled // 100) if round_up else scaled // 100


def resolve_fenceposts(
    max_surge: int | str | None, max_unavailable: int | str | None, desired: int
) -> tuple[int, int]:
    """As upstream's ResolveFenceposts: surge rounds up, unavailable rounds down, and when
    both come to zero, unavailable is 1 (surge might not work because of quota)."""
    surge = scaled_value(0 if max_surge is None else max_surge, desired, round_up=True)
    unavailable = scaled_value(
        0 if max_unavailable is None else max_unavailable, desired, round_up=False
    )
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _fenceposts(d: Mapping) -> tuple[int, int]:
    rolling = d["spec"]["strategy"].get("rollingUpdate") or {}
    return resolve_fenceposts(rolling.get("maxSurge"), rolling.get("maxUnavailable"), replicas(d))


def max_surge(d: Mapping) -> int:
    """As upstream's MaxSurge: 0 unless rolling."""
    if not is_rolling_update(d):
        return 0
    return _fenceposts(d)[0]


def max_unavailable(d: Mapping) -> int:
    """As upstream's MaxUnavailable: never more than the desired replicas."""
    if not is_rolling_update(d) or replicas(d) == 0:
        return 0
    return min(_fenceposts(d)[1], replicas(d))


def new_rs_new_replicas(d: Mapping, all_rss: Iterable[Mapping | None], new_rs: Mapping) -> int:
    """As upstream's NewRSNewReplicas: how far the new ReplicaSet may grow now."""
    strategy = d["spec"]["strategy"].get("type")
    if strategy == RECREATE:
        return replicas(d)
    if strategy != ROLLING_UPDATE:
        raise ValueError(f"deployment type {strategy} isn't supported")
    rolling = d["spec"]["strategy"].get("rollingUpdate") or {}
    surge = scaled_value(rolling.get("maxSurge"), replicas(d), round_up=True)
    current = total_replicas(all_rss)
    max_total = replicas(d) + surge
    if current >= max_total:
        return replicas(new_rs)
    scale_up = min(max_total - current, replicas(d) - replicas(new_rs))
    return replicas(new_rs) + scale_up


# -- proportional scaling ---------------------------------------------------------------


def get_proportion(rs: Mapping | None, d: Mapping, to_add: int, added: int) -> int:
    """As upstream's GetProportion: this ReplicaSet's share of the replicas to add (or take
    away), never beyond what is still allowed."""
    if rs is None or replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _replica_set_fraction(rs, d)
    allowed = to_add - added
    if to_add > 0:
        return min(fraction, allowed)
    return max(fraction, allowed)


def _replica_set_fraction(rs: Mapping, d: Mapping) -> int:
    """As upstream's getReplicaSetFraction: rs size scaled by (replicas + surge) over the
    max-replicas it was annotated with."""
    if replicas(d) == 0:
        return -replicas(rs)
    deployment_replicas = replicas(d) + max_surge(d)
    annotated = int_annotation(rs, MAX_REPLICAS_ANNOTATION)
    if annotated is None:
        annotated = status_of(d, "replicas")
    return _round_half_away(replicas(rs) * deployment_replicas / annotated) - replicas(rs)


def _round_half_away(value: float) -> int:
    """k8s.io/utils/integer.RoundToInt32."""
    return math.floor(value + 0.5) if value >= 0 else -math.floor(-value + 0.5)


def is_saturated(d: Mapping, rs: Mapping | None) -> bool:
    """As upstream's IsSaturated: sized for the whole Deployment, annotated so, all available."""
    if rs is None:
        return False
    desired = int_annotation(rs, DESIRED_REPLICAS_ANNOTATION)
    return (
        desired is not None
        and replicas(rs) == replicas(d)
        and desired == replicas(d)
        and status_of(rs, "availableReplicas") == replicas(d)
    )


def find_active_or_latest(new_rs: Mapping | None, old_rss: Sequence[Mapping]) -> Mapping | None:
    """As upstream's FindActiveOrLatest: the only active ReplicaSet, or the newest when none
    is active; None when several are active (then they scale proportionally)."""
    if new_rs is None and not old_rss:
        return None
    newest_first = sorted(old_rss, key=creation_key, reverse=True)
    active = filter_active([*newest_first, new_rs])
    if not active:
        return new_rs if new_rs is not None else newest_first[0]
    if len(active) == 1:
        return active[0]
    return None


# -- finding and counting ReplicaSets ---------------------------------------------------


def find_new_replica_set(d: Mapping, rs_list: Sequence[Mapping]) -> dict | None:
    """As upstream's FindNewReplicaSet: the oldest one whose template is the Deployment's."""
    for rs in sorted(rs_list, key=creation_key):
        if equal_ignore_hash(rs["spec"].get("template"), d["spec"].get("template")):
            return rs
    return None


def find_old_replica_sets(d: Mapping, rs_list: Sequence[Mapping]) -> list[dict]:
    """All but the new one (upstream's FindOldReplicaSets, second result)."""
    new_rs = find_new_replica_set(d, rs_list)
    new_uid = new_rs["metadata"]["uid"] if new_rs else None
    return [rs for rs in rs_list if rs["metadata"].get("uid") != new_uid]


def filter_active(rss: Iterable[Mapping | None]) -> list:
    """controller.FilterActiveReplicaSets: those with spec.replicas > 0."""
    return [rs for rs in rss if rs is not None and replicas(rs) > 0]


def total_replicas(rss: Iterable[Mapping | None]) -> int:
    """GetReplicaCountForReplicaSets: the sum of spec.replicas."""
    return sum(replicas(rs) for rs in rss if rs is not None)


def total_status(rss: Iterable[Mapping | None], field: str) -> int:
    """The sum of status.<field> (replicas, readyReplicas, availableReplicas)."""
    return sum(status_of(rs, field) for rs in rss if rs is not None)


def creation_key(rs: Mapping) -> tuple[str, str]:
    """controller.ReplicaSetsByCreationTimestamp: older first, then by name."""
    meta = rs["metadata"]
    return (meta.get("creationTimestamp") or "", meta["name"])


def by_size_newer(rss: Iterable[Mapping]) -> list:
    """controller.ReplicaSetsBySizeNewer: larger first, newer first among equals."""
    newest_first = sorted(rss, key=creation_key, reverse=True)
    return sorted(newest_first, key=lambda rs: -replicas(rs))


def by_size_older(rss: Iterable[Mapping]) -> list:
    """controller.ReplicaSetsBySizeOlder: larger first, older first among equals."""
    return sorted(sorted(rss, key=creation_key), key=lambda rs: -replicas(rs))


def by_revision(rss: Iterable[Mapping]) -> list:
    """As upstream's ReplicaSetsByRevision: lowest revision first, then older first."""
    return sorted(rss, key=lambda rs: (revision(rs), *creation_key(rs)))


# -- revisions and annotations ----------------------------------------------------------


def revision(obj: Mapping) -> int:
    """The deployment.kubernetes.io/revision annotation, 0 when absent or unreadable."""
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION_ANNOTATION)
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def max_revision(rss: Iterable[Mapping]) -> int:
    return max((revision(rs) for rs in rss), default=0)


def int_annotation(rs: Mapping, key: str) -> int | None:
    value = ((rs.get("metadata") or {}).get("annotations") or {}).get(key)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def set_replicas_annotations(rs: dict, desired: int, maximum: int) -> bool:
    """As upstream's SetReplicasAnnotations; True when something changed."""
    annotations = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in ((DESIRED_REPLICAS_ANNOTATION, desired), (MAX_REPLICAS_ANNOTATION, maximum)):
        if annotations.get(key) != str(value):
            annotations[key] = str(value)
            changed = True
    return changed


def replicas_annotations_need_update(rs: Mapping, desired: int, maximum: int) -> bool:
    annotations = rs["metadata"].get("annotations") or {}
    return annotations.get(DESIRED_REPLICAS_ANNOTATION) != str(desired) or annotations.get(
        MAX_REPLICAS_ANNOTATION
    ) != str(maximum)


def set_new_replica_set_annotations(
    d: Mapping, new_rs: dict, new_revision: int, *, exists: bool
) -> bool:
    """As upstream's SetNewReplicaSetAnnotations: copy the Deployment's own annotations, move
    the revision up to new_revision (keeping the revisions it served before in
    revision-history: that is how a rollback reuses an old ReplicaSet), and on creation the
    replicas annotations. True when something changed."""
    annotations = new_rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in ((d.get("metadata") or {}).get("annotations") or {}).items():
        if key not in ANNOTATIONS_TO_SKIP and annotations.get(key) != value:
            annotations[key] = value
            changed = True
    old_text = annotations.get(REVISION_ANNOTATION)
    try:
        old_revision = int(old_text) if old_text is not None else 0
    except ValueError:
        return changed  # upstream leaves an unreadable revision alone
    if old_revision < new_revision:
        annotations[REVISION_ANNOTATION] = str(new_revision)
        changed = True
        if old_text is not None:
            _append_revision_history(annotations, old_text)
    if not exists and set_replicas_annotations(new_rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


def _append_revision_history(annotations: dict, old_revision: str) -> None:
    history = annotations.get(REVISION_HISTORY_ANNOTATION, "")
    if not history:
        annotations[REVISION_HISTORY_ANNOTATION] = old_revision
        return
    revisions = history.split(",")
    total = len(history) + len(old_revision) + 1
    start = 0
    while total > MAX_REVISION_HISTORY_CHARS and start < len(revisions):
        total -= len(revisions[start]) + 1
        start += 1
    if total <= MAX_REVISION_HISTORY_CHARS:
        annotations[REVISION_HISTORY_ANNOTATION] = ",".join([*revisions[start:], old_revision])
