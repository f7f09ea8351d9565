"""Reads the web layer needs. Cluster state comes through the API server."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db.models import F, QuerySet

from cluster.apiserver import ApiServer
from cluster.apiserver.authn import LIVE_PAGE_USER_AGENT, caller_for_user
from cluster.apiserver.authz import authorize, write_grant
from cluster.apiserver.errors import ApiError
from cluster.components.kube_proxy import rules_of
from cluster.loops import poll_seconds
from cluster.models import ComponentState, Sandbox, SchedulingRecord, Trace
from cluster.resources import RESOURCES

SNAPSHOT_TRACES = 200
# ... and at least this many of the calls the timeline shows by default (story_traces),
# which a running clock's heartbeats push out of the last 200 within a minute or two.
SNAPSHOT_STORY_TRACES = 100
READ_VERBS = ("get", "list", "watch")
audit = logging.getLogger("podlab.audit")


def sandbox_lookup(sandbox_id: int) -> Sandbox:
    sandbox = Sandbox.objects.select_related("classroom", "owner").filter(pk=sandbox_id).first()
    if sandbox is None:
        raise not_found_sandbox(sandbox_id)
    return sandbox


def not_found_sandbox(sandbox_id: int) -> ApiError:
    return ApiError(404, "NotFound", f'sandbox "{sandbox_id}" not found')


def sandbox_for(user, sandbox_id: int) -> Sandbox:
    """The sandbox, for a user who may see it: every sandbox URL and the websocket go
    through this first. One they may not see answers exactly as one that does not exist
    (404), so sandbox ids cannot be probed; an anonymous caller gets 401."""
    caller_for_user(user)  # 401 unless logged in and active
    return sandbox_visible(user, sandbox_lookup(sandbox_id))


def sandboxes_by_id(ids: Iterable[int]) -> dict[int, Sandbox]:
    """sandbox_lookup for many sandboxes at once (the missing ones left out)."""
    return Sandbox.objects.select_related("classroom", "owner").in_bulk(set(ids))


def sandbox_visible(user, sandbox: Sandbox) -> Sandbox:
    """sandbox_for's check, for a sandbox already read: 404 unless user may see it."""
    try:
        clock_readable(sandbox, user)
    except ApiError as refused:
        if refused.code == 403:
            raise not_found_sandbox(sandbox.pk) from None
        raise
    return sandbox


def sandbox_changeable(sandbox: Sandbox, user) -> None:
    """Raise 403 Forbidden unless this user may change this sandbox (owner, admin).

    Every write URL asks this before it reads anything, so a read-only viewer's refused
    change leaves no trace of the reads it would have made on the way (the API server
    would refuse its write anyway). Logged where the API server logs its refusals."""
    caller = caller_for_user(user)
    if write_grant(caller, sandbox):
        return
    message = (
        f'sandboxes "{sandbox.name}" is forbidden: User "{caller.username}" cannot change'
        " this sandbox: it is read-only for the instructor of its class"
    )
    audit.warning("%s: %s", caller.username, message, extra={"sandbox": sandbox.pk})
    raise ApiError(403, "Forbidden", message, {"kind": "sandboxes", "name": sandbox.name})


def sandboxes_for_user(user) -> list[Sandbox]:
    return list(Sandbox.objects.filter(owner=user).order_by("-created_at"))


def sandboxes_taught(user) -> list[Sandbox]:
    """The sandboxes of the students in the classes this user teaches (read-only for them)."""
    return list(
        # Only students still in the class: one who left it is no longer theirs to watch
        # (cluster.apiserver.authz.teaches).
        Sandbox.objects.filter(classroom__instructor=user, classroom__students=F("owner"))
        .exclude(owner=user)
        .select_related("owner", "classroom")
        .order_by("classroom__name", "owner__username", "-created_at")
    )


def sandbox_writable(sandbox: Sandbox, user) -> bool:
    """Whether the API server lets this user change anything here (owner, admin): the
    page shows the controls it may use, read-only otherwise."""
    return bool(write_grant(caller_for_user(user), sandbox))


def sandbox_clock(sandbox: Sandbox) -> dict:
    return {
        "id": sandbox.pk,
        "name": sandbox.name,
        "mode": sandbox.mode,
        "paused": sandbox.clock_paused,
        "speed": sandbox.clock_speed,
        "now": sandbox.now().isoformat(),
        # How often the scheduler asks in poll mode (the page counts down to its next ask).
        "pollSeconds": poll_seconds(sandbox, "scheduler"),
    }


def clock_readable(sandbox: Sandbox, user) -> None:
    """Raise the API server's 401 or 403 unless user may read this sandbox.

    The clock is the sandbox's, not an object in the store, so reading it is no
    API call and leaves no trace (a page asks often); it is allowed to whoever
    the API server lets read the sandbox's objects (owner, instructor, admin).
    """
    authorize(
        caller_for_user(user),
        sandbox,
        verb="get",
        rt=RESOURCES["namespaces"],
        namespace="",
        name="default",
    )


# The workload kinds the diagram groups pods under, as the snapshot names its lists.
SNAPSHOT_WORKLOADS = (
    "deployments",
    "replicasets",
    "replicationcontrollers",
    "services",
    "endpointslices",
)


def sandbox_snapshot(sandbox: Sandbox, user) -> dict:
    """Everything the live page draws, at one revision. Raises ApiError (403...) for
    a user who may not read this sandbox: the reads go through the API server.

    The pods are read first and their list's revision is the snapshot's: whatever the
    later reads see beyond it comes again in the batches that follow, and applying an
    object's event twice leaves it as it was (the page replaces objects, it never adds
    to them), while a change read too early would be lost.
    """
    apiserver = ApiServer.as_user(sandbox, user)
    pods = apiserver.list("pods")
    nodes = apiserver.list("nodes")
    workloads = {resource: items_if_served(apiserver, resource) for resource in SNAPSHOT_WORKLOADS}
    latest = Trace.objects.filter(sandbox=sandbox).order_by("-id")
    traces = {trace.pk: trace for trace in latest[:SNAPSHOT_TRACES]}
    traces |= {trace.pk: trace for trace in story_traces(latest)[:SNAPSHOT_STORY_TRACES]}
    return {
        "type": "snapshot",
        "revision": int(pods["metadata"]["resourceVersion"]),
        "sandbox": sandbox_clock(sandbox),
        "nodes": nodes["items"],
        "pods": pods["items"],
        **workloads,
        "components": component_states(sandbox),
        "traces": [traces[pk].as_message() for pk in sorted(traces)],
    }


def story_traces(traces: QuerySet[Trace]) -> QuerySet[Trace]:
    """The calls that tell a step, as the timeline's default filters pick them (its
    isBackground and isPageRead, static/js/podlab/timeline.js and routes.js): not a
    node's heartbeats (Leases, a kubelet's node status and reads), not the controllers'
    and kube-proxies' reads, not the live page's own reads."""
    return (
        traces.exclude(resource="leases")
        .exclude(actor__startswith="kubelet/", resource="nodes")
        .exclude(actor__startswith="kubelet/", verb__in=READ_VERBS)
        .exclude(actor__startswith="controller-manager/", verb__in=READ_VERBS)
        .exclude(actor__startswith="kube-proxy/", verb__in=READ_VERBS)
        .exclude(user_agent=LIVE_PAGE_USER_AGENT, verb__in=READ_VERBS)
    )


def items_if_served(apiserver: ApiServer, resource: str) -> list[dict]:
    """The resource's objects; none when the API server does not serve it (404)."""
    try:
        return apiserver.list(resource)["items"]
    except ApiError as error:
        if error.code != 404:
            raise
        return []


def component_state(sandbox: Sandbox, name: str) -> ComponentState | None:
    """One component's row: running or stopped, and whether its ticks fail."""
    return ComponentState.objects.filter(sandbox=sandbox, name=name).first()


def kube_proxy_rules(sandbox: Sandbox, node: str) -> list[dict] | None:
    """The rules the node's kube-proxy last synced (None: it has no kube-proxy)."""
    row = component_state(sandbox, f"kube-proxy/{node}")
    return None if row is None else rules_of(row.state)


def component_states(sandbox: Sandbox) -> list[dict]:
    rows = ComponentState.objects.filter(sandbox=sandbox).only(
        "name", "running", "failure", "failing_since", "failed_ticks"
    )
    return [row.as_message() for row in rows]


def controller_rows(sandbox: Sandbox) -> list[ComponentState]:
    """The controller manager's controllers, each a component row of its own."""
    return list(
        ComponentState.objects.filter(sandbox=sandbox, name__startswith="controller-manager/")
    )


WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")


def last_controller_actions(sandbox: Sandbox, *, within: int = 2_000) -> dict[str, Trace]:
    """Each controller's latest write among the sandbox's recent traces: what it did last."""
    latest: dict[str, Trace] = {}
    traces = Trace.objects.filter(
        sandbox=sandbox, actor__startswith="controller-manager/", verb__in=WRITE_VERBS
    ).order_by("-id")[:within]
    for trace in traces.only("actor", "narration", "sandbox_time", "code"):
        latest.setdefault(trace.actor, trace)
    return latest


def latest_scheduling(sandbox: Sandbox, pod_uid: str) -> dict | None:
    record = SchedulingRecord.objects.filter(sandbox=sandbox, pod_uid=pod_uid).last()
    return record.decision if record else None
