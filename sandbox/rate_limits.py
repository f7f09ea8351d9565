"""Per-user rate limits on the calls that cost the server most: history reads (each reads
the whole retained watch log), snapshots (the websocket's connect and resync), clock
steps (each runs every component's tick at once) and etcd browsing.

Counted with django-ratelimit in the Redis cache that every Daphne process shares, per
user and across all sandboxes, in the windows settings.PODLAB_RATE_LIMITS names. A call
over the limit is refused as the Kubernetes API server refuses one, 429 TooManyRequests
with the seconds to wait (details.retryAfterSeconds, and Retry-After on HTTP).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

from cluster.apiserver.errors import too_many_requests

HISTORY = "history"
SNAPSHOT = "snapshot"
CLOCK_STEP = "clock-step"
ETCD_BROWSE = "etcd-browse"

log = logging.getLogger(__name__)


def count_call(user, action: str) -> None:
    """Count one `action` by this user; raise 429 TooManyRequests once over its limit.

    If Redis cannot be reached the call is let through: a lost counter must not turn
    into an outage of the pages (the Channels layer and Celery need Redis anyway).
    """
    rate = settings.PODLAB_RATE_LIMITS.get(action)
    if rate is None:
        return
    try:
        usage = get_usage(
            None,
            group=f"podlab:{action}",
            key=lambda group, request: str(user.pk),
            rate=rate,
            increment=True,
        )
    except RedisError:
        log.warning("rate limit %s not counted: Redis did not answer", action, exc_info=True)
        return
    if usage and usage["should_limit"]:
        raise too_many_requests(retry_after=max(1, usage["time_left"]))
