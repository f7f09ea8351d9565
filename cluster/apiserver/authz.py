"""Authorization: may this caller do this verb on this resource in this sandbox?

A student acts in their own sandboxes; an instructor also reads the sandboxes
of the classes they teach; an admin does anything; a component acts only in
the sandbox it was started for (the API server is built per sandbox).
"""

from __future__ import annotations

from cluster.apiserver.authn import Caller
from cluster.apiserver.errors import forbidden
from cluster.models import Sandbox
from cluster.resources.types import ResourceType

READ_VERBS = frozenset({"get", "list", "watch"})


def write_grant(caller: Caller, sandbox: Sandbox) -> str:
    """Why this caller may change anything in this sandbox, or "" when it may only
    read (an instructor) or not even that. The live page asks it once, to show the
    controls a user may use; the API server still decides each call."""
    if caller.is_component:
        return f"{caller.actor} is a control-plane component of this sandbox"
    if caller.is_admin:
        return f"{caller.username} is an administrator"
    if caller.user_id == sandbox.owner_id:
        return f"{caller.username} owns this sandbox"
    return ""


def teaches(caller: Caller, sandbox: Sandbox) -> bool:
    """The caller teaches the class the sandbox's owner is in. A student removed from the
    class takes their sandbox out of the instructor's sight, as a new instructor does."""
    return (
        sandbox.classroom_id is not None
        and sandbox.classroom.instructor_id == caller.user_id
        and sandbox.classroom.students.filter(pk=sandbox.owner_id).exists()
    )


def authorize(
    caller: Caller,
    sandbox: Sandbox,
    *,
    verb: str,
    rt: ResourceType,
    namespace: str,
    name: str,
    subresource: str = "",
) -> str:
    """Return why the call is allowed (for the trace), or raise a 403 Forbidden."""
    if why := write_grant(caller, sandbox):
        return why
    if verb in READ_VERBS and teaches(caller, sandbox):
        return f"{caller.username} teaches this sandbox's class"
    resource = f"{rt.name}/{subresource}" if subresource else rt.name
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    raise forbidden(
        rt,
        name,
        f'User "{caller.username}" cannot {verb} resource "{resource}" in API group'
        f' "{rt.group}" {scope}',
    )
