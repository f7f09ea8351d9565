"""The FailedScheduling message, worded exactly as kube-scheduler words it.

For example (one line in reality):

    0/3 nodes are available: 1 node(s) had untolerated taint
    {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are
    available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for
    incoming pod.

Upstream FitError.Error() counts each reason over the nodes that reported it,
writes "<count> <reason>", sorts those strings as plain text (so the count
comes first, and "10 ..." sorts before "2 ..."), joins them with ", " and ends
with a period; the preemption part follows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

NO_NODES_AVAILABLE = "no nodes available to schedule pods"


def fit_error_message(
    total_nodes: int,
    reasons_per_node: Iterable[Sequence[str]],
    *,
    pre_filter_message: str = "",
    post_filter_message: str = "",
) -> str:
    """reasons_per_node: for every node, the reasons its first failing plugin gave.

    A PreFilter rejection replaces the per-node histogram, as upstream does, since
    every node would repeat the same reason.
    """
    message = f"0/{total_nodes} nodes are available:"
    if pre_filter_message:
        message += f" {pre_filter_message}."
    else:
        counts = Counter(reason for reasons in reasons_per_node for reason in reasons)
        histogram = sorted(f"{count} {reason}" for reason, count in counts.items())
        if histogram:
            message += f" {', '.join(histogram)}."
    if post_filter_message:
        message += f" {post_filter_message}"
    return message
