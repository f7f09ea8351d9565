"""The kubelet's restart and image-pull backoff, as upstream's flowcontrol.Backoff.

The first restart is immediate; each crash after that waits twice as long,
from 10 s up to 300 s. A container that ran for 10 minutes resets the curve.
"""

from __future__ import annotations

import datetime as dt

INITIAL_SECONDS = 10
MAX_SECONDS = 300
RESET_AFTER = dt.timedelta(minutes=10)


def restart_delay(failures: int) -> int:
    """Seconds to wait before restarting after the `failures`-th crash in a row."""
    if failures <= 1:
        return 0
    return min(INITIAL_SECONDS * 2 ** (failures - 2), MAX_SECONDS)


def pull_delay(failures: int) -> int:
    """Seconds to wait before pulling again after the `failures`-th failed pull."""
    if failures <= 0:
        return 0
    return min(INITIAL_SECONDS * 2 ** (failures - 1), MAX_SECONDS)


def failures_after_exit(previous_failures: int, started: dt.datetime, finished: dt.datetime) -> int:
    """A container that ran long enough starts the curve again."""
    return 1 if finished - started >= RESET_AFTER else previous_failures + 1
