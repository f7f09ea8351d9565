"""Durations as the kubelet prints them: Go's time.Duration format (4s, 1m20s, 3.621s, 500ms)."""

from __future__ import annotations

import math


def go_duration(seconds: float) -> str:
    """A duration truncated to the millisecond, written as Go writes a time.Duration."""
    millis = math.floor(max(seconds, 0) * 1000 + 1e-6)
    if millis == 0:
        return "0s"
    if millis < 1000:
        return f"{millis}ms"
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, fraction = divmod(rest, 1000)
    text = f"{whole}.{fraction:03d}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{text}"
    if minutes:
        return f"{minutes}m{text}"
    return text
