"""What a component may call: the API server's Python interface, as a Protocol."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class ClusterApi(Protocol):
    def get(self, resource: str, name: str, *, namespace: str = "") -> dict: ...

    def list(
        self,
        resource: str,
        *,
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
        limit: int | None = None,
        continue_token: str = "",
    ) -> dict: ...

    def create(self, resource: str, obj: dict, *, namespace: str = "") -> dict: ...

    def update(
        self, resource: str, obj: dict, *, namespace: str = "", subresource: str = ""
    ) -> dict: ...

    def update_status(self, resource: str, obj: dict, *, namespace: str = "") -> dict: ...

    def patch(
        self,
        resource: str,
        name: str,
        patch: object,
        *,
        patch_type: str = "merge",
        namespace: str = "",
        subresource: str = "",
    ) -> dict: ...

    def delete(
        self,
        resource: str,
        name: str,
        *,
        namespace: str = "",
        grace_period_seconds: int | None = None,
        preconditions: dict | None = None,
        propagation_policy: str | None = None,
    ) -> dict: ...

    def bind(self, pod_name: str, node_name: str, *, namespace: str = "default") -> dict: ...

    def explain(self, reason: str) -> None:
        """Why the next calls are made, desired against actual; the API server tells it in
        their traces. An empty reason ends it."""


class Clock(Protocol):
    """The sandbox clock: components never read the wall clock."""

    def now(self) -> dt.datetime: ...
