"""The Celery application: the workers that run Podlab's control-plane loops."""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun
from celery.worker.consumer import Consumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")

logger = logging.getLogger(__name__)

app = Celery("podlab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Seconds between a worker's attempts to reach the broker again: first at once, then
# every RECONNECT_MAX_SECONDS at most. kombu's defaults (2, 4, 6 ... s, up to 30) left a
# worker idle for 5.5 s after Redis was back; an attempt costs one refused connect.
RECONNECT_START_SECONDS = 0.0
RECONNECT_STEP_SECONDS = 0.25
RECONNECT_MAX_SECONDS = 1.0


class PromptReconnectConsumer(Consumer):
    """The worker's broker consumer, reconnecting within a second of the broker's return.

    Celery's Consumer calls the connection's ensure_connection without intervals, so
    they are kombu's defaults; this passes ours on that one connection.
    """

    def ensure_connected(self, conn: Any) -> Any:
        ensure = conn.ensure_connection

        def promptly(*args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("interval_start", RECONNECT_START_SECONDS)
            kwargs.setdefault("interval_step", RECONNECT_STEP_SECONDS)
            kwargs.setdefault("interval_max", RECONNECT_MAX_SECONDS)
            return ensure(*args, **kwargs)

        conn.ensure_connection = promptly
        return super().ensure_connected(conn)

    def on_connection_error_after_connected(self, exc: Exception) -> None:
        """Celery's clean-up of a broken broker connection, surviving kombu's own bug.

        When Redis goes away mid-read, kombu's collect() can leave the connection's
        channel half closed; the close() that follows closes it again, looks for the
        transport collect() dropped, and raises AttributeError ("'NoneType' object has
        no attribute 'hostname'"), which Celery does not expect there: the worker's main
        process died as "Unrecoverable error" about one Redis restart in three. The
        connection is gone either way; the consumer goes on to reconnect.
        """
        try:
            super().on_connection_error_after_connected(exc)
        except AttributeError:
            logger.warning("the broken broker connection closed untidily", exc_info=True)
            self.connection = None


@task_prerun.connect
@task_postrun.connect
def close_old_connections(**kwargs) -> None:
    """Around each task, as Django does around each request: close the connections that
    are past CONN_MAX_AGE or broke (a restarted PostgreSQL), keep the others. Celery's
    own fix-up closed every one (CELERY_DB_REUSE_MAX, settings.py)."""
    from django.db import close_old_connections

    close_old_connections()
