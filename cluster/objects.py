"""Small helpers for Kubernetes-shaped JSON objects, shared by the API server and components."""

from __future__ import annotations

import datetime as dt


def format_time(moment: dt.datetime) -> str:
    """RFC 3339 with whole seconds, as metav1.Time serializes: 2026-11-26T21:40:00Z."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_micro_time(moment: dt.datetime) -> str:
    """RFC 3339 with microseconds, as metav1.MicroTime serializes (leases, events)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def set_condition(
    obj: dict,
    condition_type: str,
    status: str,
    *,
    now: dt.datetime,
    reason: str = "",
    message: str = "",
) -> None:
    """Set status.conditions[type]; lastTransitionTime moves only when status changes."""
    conditions = obj.setdefault("status", {}).setdefault("conditions", [])
    existing = next((c for c in conditions if c.get("type") == condition_type), None)
    condition = {"type": condition_type, "status": status, "lastProbeTime": None}
    if existing and existing.get("status") == status:
        condition["lastTransitionTime"] = existing.get("lastTransitionTime") or format_time(now)
    else:
        condition["lastTransitionTime"] = format_time(now)
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    if existing:
        conditions[conditions.index(existing)] = condition
    else:
        conditions.append(condition)
