"""Errors the runtime raises, named for the gRPC codes a real CRI runtime returns."""

from __future__ import annotations


class RuntimeServiceError(Exception):
    """A CRI call failed; str() is the runtime's message."""


class NotFoundError(RuntimeServiceError):
    """No sandbox or container with that id (gRPC NotFound)."""


class FailedPreconditionError(RuntimeServiceError):
    """The call does not fit the current state, e.g. starting a running container."""
