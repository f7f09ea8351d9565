"""What the scheduler says in its Events about a pod."""

from __future__ import annotations


def scheduled_message(pod: dict, node_name: str) -> str:
    meta = pod["metadata"]
    return f"Successfully assigned {meta.get('namespace', '')}/{meta['name']} to {node_name}"
