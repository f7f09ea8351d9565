"""cordon, uncordon, drain and taint: their arguments read as kubectl reads them; what
they do is nodes.py's."""

from __future__ import annotations

from kubeapi.command_box import nodes
from kubeapi.command_box.context import Context
from kubeapi.command_box.grammar import Invocation, UsageError
from kubeapi.command_box.targets import targets


def cordon(context: Context, invocation: Invocation) -> str:
    return nodes.cordon(context.api, _node_names(invocation), unschedulable=True)


def uncordon(context: Context, invocation: Invocation) -> str:
    return nodes.cordon(context.api, _node_names(invocation), unschedulable=False)


def drain(context: Context, invocation: Invocation) -> str:
    [node] = _node_names(invocation, one=True)
    return nodes.drain(context.api, node, force=bool(invocation.flag("force")))


def taint(context: Context, invocation: Invocation) -> str:
    found, changes = targets(invocation.args)
    if not found or found[0].rt.name != "nodes" or not found[0].names:
        raise UsageError(
            "error: taint needs a node: kubectl taint nodes node-1 key=value:NoSchedule"
        )
    if not changes:
        raise UsageError("error: at least one taint update is required")
    return "\n".join(
        nodes.taint(context.api, node, changes, overwrite=bool(invocation.flag("overwrite")))
        for node in found[0].names
    )


def _node_names(invocation: Invocation, *, one: bool = False) -> list[str]:
    names = [arg.removeprefix("node/").removeprefix("nodes/") for arg in invocation.args]
    if not names or (one and len(names) != 1):
        raise UsageError(f"error: USAGE: kubectl {invocation.name} NODE")
    return names
