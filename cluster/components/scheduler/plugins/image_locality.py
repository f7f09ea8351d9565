"""ImageLocality: prefer nodes that already have the pod's images, so it starts sooner.

Each of the pod's images (init containers included) that the node has counts
its size, scaled by the share of the cluster's nodes that have it (an image
on every node helps less to choose, and spreading it avoids piling pods onto
the one node that pulled it first). The sum is clamped between 23 MB and
1000 MB per container and mapped onto 0..100.
"""

from __future__ import annotations

from collections.abc import Sequence

from cluster.components.scheduler.framework import MAX_NODE_SCORE, NodeInfo

MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB


class ImageLocality:
    name = "ImageLocality"

    def score(self, pod: dict, node_info: NodeInfo, all_node_infos: Sequence[NodeInfo]) -> int:
        spec = pod.get("spec") or {}
        containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
        total = 0
        for container in containers:
            image = normalized_image_name(container.get("image", ""))
            if image in node_info.image_sizes:
                nodes_with_image = sum(1 for info in all_node_infos if image in info.image_sizes)
                spread = nodes_with_image / len(all_node_infos)
                total += int(node_info.image_sizes[image] * spread)
        return image_locality_score(total, len(containers))


def image_locality_score(total_image_bytes: int, container_count: int) -> int:
    max_threshold = MAX_CONTAINER_THRESHOLD * container_count
    clamped = min(max(total_image_bytes, MIN_THRESHOLD), max_threshold)
    return MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)


def normalized_image_name(image: str) -> str:
    """Add the implicit ":latest" tag, as nodes report tagged names ("nginx" -> "nginx:latest")."""
    if image.rfind(":") <= image.rfind("/"):
        return image + ":latest"
    return image
