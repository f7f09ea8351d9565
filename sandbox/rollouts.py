"""`kubectl rollout undo` for the Deployment panel. kubectl does it on the client (apps/v1
has no rollback in the API); the logic, with the revision helpers the Deployment
controller shares, is in cluster/components/controllers/deployment_rollback.py."""

from __future__ import annotations

from cluster.components.controllers.deployment_rollback import RollbackError, rollback_template
from cluster.components.controllers.deployment_util import revision

__all__ = ["RollbackError", "has_previous", "revision", "rollback_template"]


def has_previous(deployment: dict, replicasets: list[dict]) -> bool:
    """Whether `kubectl rollout undo` would find a revision to go back to."""
    try:
        rollback_template(deployment, replicasets)
    except RollbackError:
        return False
    return True
