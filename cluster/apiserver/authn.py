"""Authentication: who is calling. A Django user, an API token, or a control-plane component."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from cluster.apiserver.errors import unauthorized
from cluster.models import ApiToken
from cluster.models.tenancy import hash_token

# Components act only inside the sandbox they run for; these are the names
# real clusters give them, so a 403 reads like one from a real API server.
COMPONENT_USERS = {
    "scheduler": "system:kube-scheduler",
    "controller-manager": "system:kube-controller-manager",
    "kubelet": "system:node",
    "kube-proxy": "system:kube-proxy",
    "kube-apiserver": "system:apiserver",
}

# kube-controller-manager runs each controller with its own service account
# (--use-service-account-credentials), named as upstream's bootstrap policy names them.
CONTROLLER_SERVICE_ACCOUNTS = {
    "replicaset": "replicaset-controller",
    "replicationcontroller": "replication-controller",
    "deployment": "deployment-controller",
    "nodelifecycle": "node-controller",
    # Upstream's taint-eviction-controller borrows node-controller's account and role.
    "taint-eviction-controller": "node-controller",
    "podgc": "pod-garbage-collector",
    "garbagecollector": "generic-garbage-collector",
    "namespace": "namespace-controller",
    "endpointslice": "endpointslice-controller",
    "endpoints": "endpoint-controller",
}


@dataclass(frozen=True)
class Caller:
    """An authenticated caller. `actor` is how traces and the diagram name it."""

    actor: str  # "student", "scheduler", "kubelet/node-1", "controller-manager/replicaset"
    username: str  # as upstream names it in messages: "student", "system:node:node-1"
    user_id: int | None = None
    is_admin: bool = False
    component: str = ""  # "" for people
    user_agent: str = ""  # the client a person calls through (upstream's audit userAgent)

    @property
    def is_component(self) -> bool:
        return bool(self.component)

    def describe(self) -> str:
        return f"component {self.actor}" if self.is_component else f'user "{self.username}"'


# The live page's requests, made with the student's session: its panels' and snapshots'
# reads are the page's doing, not the student's, and the timeline folds them away.
LIVE_PAGE_USER_AGENT = "podlab-live-page"
# The page's command box: kubectl's commands typed on the page (kubeapi/command_box).
COMMAND_BOX_USER_AGENT = "podlab-command-box"


def caller_for_user(user, user_agent: str = LIVE_PAGE_USER_AGENT) -> Caller:
    if user is None or not user.is_authenticated or not user.is_active:
        raise unauthorized()
    return Caller(
        actor=user.get_username(),
        username=user.get_username(),
        user_id=user.pk,
        is_admin=user.is_superuser,
        user_agent=user_agent,
    )


def caller_for_token(token: str) -> Caller:
    record = ApiToken.objects.select_related("user").filter(token_hash=hash_token(token)).first()
    if record is None:
        raise unauthorized()
    now = timezone.now()
    # Record use at most once a minute, so a busy kubectl does not write every call.
    if record.last_used_at is None or now - record.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return caller_for_user(record.user, user_agent="")


def caller_for_component(actor: str) -> Caller:
    """'scheduler', 'kubelet/node-1', 'controller-manager/replicaset'..."""
    component, _, instance = actor.partition("/")
    if component not in COMPONENT_USERS:
        raise unauthorized()
    username = COMPONENT_USERS[component]
    if component == "kubelet" and instance:
        username = f"system:node:{instance}"
    if component == "controller-manager" and instance:
        if instance not in CONTROLLER_SERVICE_ACCOUNTS:
            raise unauthorized()
        username = f"system:serviceaccount:kube-system:{CONTROLLER_SERVICE_ACCOUNTS[instance]}"
    return Caller(actor=actor, username=username, component=component)
