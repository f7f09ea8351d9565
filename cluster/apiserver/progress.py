"""How far each sandbox's store has gone, for watchers that must know whether they
missed something: what etcd's progress notifications (WithProgressNotify) and
kube-apiserver's watch bookmarks tell a watcher that has seen no event for a while.

The live page's socket watch (sandbox/socket_watch.py) compares it with the revision each
page was last pushed: a push lost on the way (Redis restarted between two of the
watch's pings) leaves a page behind a revision it would otherwise never learn of.
"""

from __future__ import annotations

from collections.abc import Iterable

from cluster import store


def revisions_reached(sandbox_ids: Iterable[int]) -> dict[int, int]:
    """The latest revision of each sandbox's store (0 for one never written), in one read.
    Not a traced call: it is the watch's own bookkeeping, as etcd's progress notify is."""
    sandbox_ids = set(sandbox_ids)
    reached = store.revisions(sandbox_ids)
    return {sandbox_id: reached.get(sandbox_id, 0) for sandbox_id in sandbox_ids}
