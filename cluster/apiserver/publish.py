"""After commit, push a sandbox's new store events and traces to its Channels group.

One batched send per committed API call. A lost message is not a disaster:
browsers resync from a snapshot when they see a revision gap (ARCHITECTURE.md).
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

CHANGES_MESSAGE_TYPE = "cluster.changes"


def sandbox_group(sandbox_id: int) -> str:
    return f"sandbox-{sandbox_id}"


def publish_changes(sandbox_id: int, revision: int, events: list[dict], traces: list[dict]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {
        "type": CHANGES_MESSAGE_TYPE,
        "sandbox": sandbox_id,
        "revision": revision,
        "events": events,
        "traces": traces,
    }
    try:
        async_to_sync(layer.group_send)(sandbox_group(sandbox_id), message)
    except Exception:  # the write is committed; a missed push is healed by resync
        logger.exception(
            "could not publish changes of sandbox %s at revision %s", sandbox_id, revision
        )
