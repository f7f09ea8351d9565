"""API calls that may lose a race with another writer, and are retried at the next tick."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

GONE_OR_CHANGED = {404, 409}


def unless_raced(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The call's answer, or None when the object was gone (404) or changed meanwhile (409)."""
    try:
        return call(*args, **kwargs)
    except Exception as error:  # an ApiError, whose package the components may not import
        if getattr(error, "code", None) not in GONE_OR_CHANGED:
            raise
        return None
