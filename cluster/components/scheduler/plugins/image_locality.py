"""ImageLocality: prefer nodes that already have the pod's images, so it starts sooner.

Each of the pod's images (init containers included) that the node has counts
its size, scaled by the share of the cluster's nodes that have it (an image
on every node helps less to choose, and spreading it avoids piling pods onto
the one node that pulled it first). The sum is clamped between 23 MB and
1000 MB per container and mapped onto 0..100.

Upstream counts the nodes that have each image when it updates its snapshot
(ImageStateSummary.NumNodes). Podlab builds its snapshot afresh each tick, so
PreScore counts them once per pod: counting at every node would cost a pass
over the whole cluster per node scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cluster.components.scheduler.framework import MAX_NODE_SCORE, CycleState, NodeInfo

MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB
PRE_SCORE_STATE_KEY = "PreScoreImageLocality"


@dataclass(frozen=True)
class PodImages:
    """The pod's images, one per container (init containers included), and how widespread."""

    images: tuple[str, ...]
    # Image -> the share of the cluster's nodes that have it (upstream's "spread").
    spread: dict[str, float]


class ImageLocality:
    name = "ImageLocality"

    def pre_score(
        self,
        state: CycleState,
        pod: dict,
        feasible: Sequence[NodeInfo],
        all_node_infos: Sequence[NodeInfo],
    ) -> None:
        spec = pod.get("spec") or {}
        containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
        images = tuple(normalized_image_name(c.get("image", "")) for c in containers)
        spread = {
            image: sum(1 for info in all_node_infos if image in info.image_sizes)
            / len(all_node_infos)
            for image in set(images)
        }
        state.write(PRE_SCORE_STATE_KEY, PodImages(images, spread))

    def score(self, state: CycleState, pod: dict, node_info: NodeInfo) -> int:
        pod_images: PodImages = state.read(PRE_SCORE_STATE_KEY)
        total = 0
        for image in pod_images.images:
            if image in node_info.image_sizes:
                total += int(node_info.image_sizes[image] * pod_images.spread[image])
        return image_locality_score(total, len(pod_images.images))


def image_locality_score(total_image_bytes: int, container_count: int) -> int:
    max_threshold = MAX_CONTAINER_THRESHOLD * container_count
    clamped = min(max(total_image_bytes, MIN_THRESHOLD), max_threshold)
    return MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)


def normalized_image_name(image: str) -> str:
    """Add the implicit ":latest" tag, as nodes report tagged names ("nginx" -> "nginx:latest")."""
    if image.rfind(":") <= image.rfind("/"):
        return image + ":latest"
    return image
