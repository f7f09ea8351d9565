"""What the processes share in Redis: one client per process, the key names, and each
component's tick lock (a lease renewed while its tick runs).

The bottom of the tick layer: cluster.loops, cluster.idle and cluster.sandboxes use it,
and it uses none of them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from django.conf import settings
from redis.backoff import ExponentialBackoff
from redis.lock import Lock
from redis.retry import Retry

logger = logging.getLogger(__name__)

# A tick's lock is a lease: short, and renewed every LOCK_RENEW_SECONDS while the tick
# runs (_LockRenewer). A worker killed mid-tick stops renewing, and the component is free
# again LOCK_SECONDS later, within the time a new worker takes to start, where a long
# lock (it was 30 s) kept every component of the killed ticks stopped for its whole span.
LOCK_SECONDS = 3
LOCK_RENEW_SECONDS = 1.0
_redis: redis.Redis | None = None


def redis_client() -> redis.Redis:
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(
            settings.REDIS_URL,
            # A connection idle this long is pinged before use: one that a Redis restart
            # broke is replaced then, not found broken by the next lock or wake-up.
            health_check_interval=10,
            socket_connect_timeout=2,
            socket_keepalive=True,
            # A blip (a restart's last second) is retried within half a second; an
            # outage fails the call, and the wake-up is told again later (publish.py).
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=3),
            retry_on_error=[redis.exceptions.ConnectionError, redis.exceptions.TimeoutError],
        )
    return _redis


def component_key(kind: str, sandbox_id: int, component: str) -> str:
    """This run's Redis key of one component's `kind` of record (lock, dirty, queued...)."""
    return f"{settings.CELERY_TASK_DEFAULT_QUEUE}:{kind}:{sandbox_id}:{component}"


class _LockRenewer:
    """One thread per process that renews the locks its ticks hold, every
    LOCK_RENEW_SECONDS: a lock lives as long as its holder does, and no longer."""

    def __init__(self) -> None:
        self._held: set[Lock] = set()
        self._guard = threading.Lock()
        self._pid = 0

    def hold(self, lock: Lock) -> None:
        with self._guard:
            if self._pid != os.getpid():  # a prefork child: its parent's thread is not here
                self._pid = os.getpid()
                self._held = set()
                threading.Thread(target=self._run, name="podlab-lock-renewer", daemon=True).start()
            self._held.add(lock)

    def release(self, lock: Lock) -> None:
        with self._guard:
            self._held.discard(lock)

    def _run(self) -> None:
        stop = threading.Event()
        while not stop.wait(LOCK_RENEW_SECONDS):
            with self._guard:
                held = list(self._held)
            for lock in held:
                try:
                    lock.reacquire()
                except redis.exceptions.LockNotOwnedError:
                    # Lapsed (this process was stopped longer than LOCK_SECONDS): another
                    # tick may run meanwhile, which the API server's compare-and-swap
                    # keeps safe; this one finishes and finds its release refused.
                    logger.warning("lock %s lapsed while its tick ran", lock.name)
                    self.release(lock)
                except Exception:  # Redis down: try again next round; the thread lives on
                    logger.warning("could not renew lock %s", lock.name, exc_info=True)


_renewer = _LockRenewer()


@contextmanager
def component_lock(sandbox_id: int, component: str, *, wait: float = 0) -> Iterator:
    """Yield the lock while holding this component's lock, None if another tick holds
    it (after waiting up to `wait` seconds for it). The lock is renewed while held."""
    # Not thread-local: the renewer thread renews it with the token this thread took.
    lock = redis_client().lock(
        component_key("lock", sandbox_id, component), timeout=LOCK_SECONDS, thread_local=False
    )
    acquired = lock.acquire(blocking=wait > 0, blocking_timeout=wait or None)
    if acquired:
        _renewer.hold(lock)
    try:
        yield lock if acquired else None
    finally:
        if acquired:
            _renewer.release(lock)
            try:
                lock.release()
            except redis.exceptions.LockError:
                logger.warning("tick of %s in sandbox %s outlived its lock", component, sandbox_id)
