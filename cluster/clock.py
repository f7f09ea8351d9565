"""A sandbox's clock: sandbox time runs at its speed from an anchor, and stops when the
student pauses it or when nobody watches (cluster/idle.py). Each control re-anchors the
clock on the locked row, so two controls at once never undo each other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from cluster.models import Sandbox

# Sandbox time = clock_base + (wall - clock_wall_base) * clock_speed. Each change
# re-anchors the base at "now", so sandbox time never jumps except by a step.
CLOCK_FIELDS = ("clock_base", "clock_wall_base", "clock_speed", "clock_paused", "idle")


def _rebase(sandbox: Sandbox, only_if: Callable[[Sandbox], bool] | None = None, **changes) -> bool:
    """Re-anchor the clock at "now" and apply changes; False (nothing saved) when the row
    as it is now fails only_if."""
    with transaction.atomic():
        # Rebase from the row as it is now, locked: this request's copy may predate
        # another control (a speed change and Play pressed at once), which saving the
        # stale copy's speed or paused flag would undo.
        current = Sandbox.objects.select_for_update().only(*CLOCK_FIELDS).get(pk=sandbox.pk)
        for field in CLOCK_FIELDS:
            setattr(sandbox, field, getattr(current, field))
        if only_if is not None and not only_if(sandbox):
            return False
        now_wall = timezone.now()
        sandbox.clock_base = sandbox.now()
        sandbox.clock_wall_base = now_wall
        for field, value in changes.items():
            setattr(sandbox, field, value)
        sandbox.save(update_fields=["clock_base", "clock_wall_base", *changes])
        return True


# A student's clock control wakes an idle sandbox too: it is someone looking.


def clock_pause(sandbox: Sandbox) -> None:
    _rebase(sandbox, clock_paused=True, idle=False)


def clock_resume(sandbox: Sandbox) -> None:
    _rebase(sandbox, clock_paused=False, idle=False)


def clock_set_speed(sandbox: Sandbox, speed: float) -> None:
    if not 0.1 <= speed <= 100:
        raise ValueError("speed must be between 0.1 and 100")
    _rebase(sandbox, clock_speed=speed, idle=False)


def clock_idle(sandbox: Sandbox) -> bool:
    """Stop the clock of a sandbox nobody watches and nothing is due in (cluster/idle.py
    decides). True if it was running and now stands still; a paused sandbox is left as
    the student paused it."""
    return _rebase(sandbox, lambda row: not row.clock_paused and not row.idle, idle=True)


def clock_wake(sandbox: Sandbox) -> bool:
    """Let an idle sandbox's clock run again from where it stood: to its components no
    time passed, so no Lease has aged while nobody watched. True if it was idle."""
    return _rebase(sandbox, lambda row: row.idle, idle=False)


def clock_advance(sandbox: Sandbox, seconds: float) -> None:
    """Move sandbox time forward (a step while paused)."""
    _rebase(sandbox, idle=False)
    sandbox.clock_base += dt.timedelta(seconds=seconds)
    sandbox.save(update_fields=["clock_base"])
