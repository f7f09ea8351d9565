"""ImageLocality: image sizes the node already has, scaled by how many nodes have them."""

from cluster.components.scheduler.plugins.image_locality import (
    ImageLocality,
    image_locality_score,
    normalized_image_name,
)

from .builders import make_node, make_pod, node_info, run_score

PLUGIN = ImageLocality()
MB = 1024 * 1024


def node_with(name, *images):
    return node_info(
        make_node(name, images=[{"names": [image], "sizeBytes": size} for image, size in images])
    )


def test_a_node_without_the_image_scores_zero():
    nodes = [node_with("node-1"), node_with("node-2", ("nginx:1.27", 500 * MB))]
    assert run_score(PLUGIN, make_pod(image="nginx:1.27"), nodes[0], nodes) == 0


def test_the_image_size_is_scaled_by_its_spread_across_nodes():
    # 500 MB on 2 of 3 nodes: int(524288000 * 2/3) = 349525333 bytes;
    # 100 * (349525333 - 23 MB) // (1000 MB - 23 MB) = 31.
    nodes = [
        node_with("node-1", ("nginx:1.27", 500 * MB)),
        node_with("node-2", ("nginx:1.27", 500 * MB)),
        node_with("node-3"),
    ]
    assert run_score(PLUGIN, make_pod(image="nginx:1.27"), nodes[0], nodes) == 31


def test_an_image_on_every_node_counts_its_full_size():
    nodes = [node_with("node-1", ("nginx:1.27", 500 * MB))]
    # 100 * (500 MB - 23 MB) // (1000 MB - 23 MB) = 48.
    assert run_score(PLUGIN, make_pod(image="nginx:1.27"), nodes[0], nodes) == 48


def test_small_images_score_zero_and_huge_ones_are_capped():
    assert image_locality_score(10 * MB, 1) == 0
    assert image_locality_score(5000 * MB, 1) == 100
    # Two containers raise the ceiling to 2000 MB: 100 * (1000 - 23) // (2000 - 23) = 49.
    assert image_locality_score(1000 * MB, 2) == 49


def test_an_untagged_image_means_latest():
    assert normalized_image_name("nginx") == "nginx:latest"
    assert normalized_image_name("registry:5000/team/app") == "registry:5000/team/app:latest"
    assert normalized_image_name("nginx:1.27") == "nginx:1.27"
    nodes = [node_with("node-1", ("nginx:latest", 500 * MB))]
    assert run_score(PLUGIN, make_pod(image="nginx"), nodes[0], nodes) == 48
