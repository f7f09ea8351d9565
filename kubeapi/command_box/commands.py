"""What each command of the box does: the API calls kubectl makes for it, through the
sandbox's API server as the signed-in user, and kubectl's answer printed from theirs.

Every call is authorized, traced and drawn on the diagram as real kubectl's are, and
labelled with the command line typed. The box answers once: a command real kubectl
would keep running (`get -w`, `logs -f`, `rollout status`) prints what is true now.
The commands live by what they do: reads.py, writes.py, workloads.py, node_commands.py.
"""

from __future__ import annotations

from kubeapi.command_box import node_commands, reads, workloads, writes
from kubeapi.command_box.context import Context, Handler, server_error
from kubeapi.command_box.grammar import Invocation
from kubeapi.command_box.reads import help_text


def execute(context: Context, invocation: Invocation) -> str:
    """kubectl's output for the command, or raises UsageError, NotInTheBox or ApiError."""
    if invocation.flag("help"):
        return help_text(context, invocation)
    return HANDLERS[invocation.path](context, invocation)


HANDLERS: dict[tuple[str, ...], Handler] = {
    ("get",): reads.get,
    ("describe",): reads.describe_command,
    ("run",): writes.run,
    ("create", "deployment"): writes.create_deployment,
    ("create", "namespace"): writes.create_namespace,
    ("delete",): writes.delete,
    ("scale",): writes.scale_command,
    ("label",): writes.label,
    ("annotate",): writes.annotate,
    ("cordon",): node_commands.cordon,
    ("uncordon",): node_commands.uncordon,
    ("drain",): node_commands.drain,
    ("taint",): node_commands.taint,
    ("set", "image"): workloads.set_image_command,
    ("rollout", "status"): workloads.rollout_status,
    ("rollout", "undo"): workloads.rollout_undo,
    ("rollout", "restart"): workloads.rollout_restart,
    ("rollout", "history"): workloads.rollout_history,
    ("logs",): reads.logs,
    ("version",): reads.version,
    ("cluster-info",): reads.cluster_info,
    ("api-resources",): reads.api_resources,
    ("help",): reads.help_text,
}

__all__ = ["Context", "execute", "server_error"]
