"""Pulls take time by image size, queue on the node's link, and are cached per node."""

from cluster.components.runtime import lookup
from cluster.components.runtime.statuses import PullState
from tests.unit.runtime.helpers import T0, at, new_runtime


def test_a_pull_completes_after_the_images_pull_seconds():
    runtime = new_runtime()

    started = runtime.pull_image("nginx", T0)

    assert started.state == PullState.PULLING
    assert started.done_at == at(4)
    assert started.image == "docker.io/library/nginx:latest"
    assert runtime.image_status("nginx", at(3.9)).state == PullState.PULLING
    assert runtime.image_status("nginx", at(4)).state == PullState.PULLED


def test_a_pulled_image_reports_its_id_size_and_timing():
    runtime = new_runtime()
    runtime.pull_image("nginx", T0)

    status = runtime.image_status("nginx:latest", at(30))

    assert status.image_id == lookup("nginx").image_id
    assert status.size_bytes == lookup("nginx").size_bytes
    assert (status.started_at, status.done_at) == (T0, at(4))


def test_asking_again_during_a_pull_joins_it_instead_of_starting_another():
    runtime = new_runtime()
    runtime.pull_image("nginx", T0)

    again = runtime.pull_image("nginx", at(2))

    assert again.state == PullState.PULLING
    assert again.done_at == at(4)


def test_pulls_queue_behind_each_other_on_the_nodes_one_link():
    runtime = new_runtime()
    runtime.pull_image("nginx", T0)

    postgres = runtime.pull_image("postgres", at(1))

    assert (postgres.started_at, postgres.done_at) == (at(4), at(12))


def test_an_image_on_the_node_needs_no_second_pull():
    runtime = new_runtime()
    runtime.pull_image("nginx", T0)

    second = runtime.pull_image("nginx", at(100))

    assert second.state == PullState.PULLED
    assert second.done_at == at(4)


def test_another_tag_of_present_content_is_pulled_at_once():
    runtime = new_runtime()
    runtime.pull_image("nginx:latest", T0)

    assert runtime.image_status("nginx:1.27", at(10)).state == PullState.ABSENT
    assert runtime.pull_image("nginx:1.27", at(10)).state == PullState.PULLED
    assert runtime.image_status("nginx:1.27", at(10)).state == PullState.PULLED


def test_each_node_has_its_own_image_cache():
    node_1, node_2 = new_runtime(node_name="node-1"), new_runtime(node_name="node-2")
    node_1.pull_image("redis", T0)

    assert node_1.image_status("redis", at(60)).state == PullState.PULLED
    assert node_2.image_status("redis", at(60)).state == PullState.ABSENT


def test_the_image_list_for_node_status_has_names_and_sizes_biggest_first():
    runtime = new_runtime()
    runtime.pull_image("nginx", T0)
    runtime.pull_image("nginx:1.27", at(5))
    runtime.pull_image("busybox", at(5))

    images = runtime.list_images(at(60))

    assert images[0] == {
        "names": [
            lookup("nginx").image_id,
            "docker.io/library/nginx:latest",
            "docker.io/library/nginx:1.27",
        ],
        "sizeBytes": 72_404_038,
    }
    assert [entry["names"][-1] for entry in images[1:]] == [
        "docker.io/library/busybox:latest",
        "registry.k8s.io/pause:3.10",
    ]


def test_a_node_starts_with_only_the_pause_image():
    images = new_runtime().list_images()

    assert [entry["names"][-1] for entry in images] == ["registry.k8s.io/pause:3.10"]


def test_an_image_still_pulling_is_not_in_the_image_list():
    runtime = new_runtime()
    runtime.pull_image("postgres", T0)

    assert len(runtime.list_images(at(7))) == 1
    assert len(runtime.list_images(at(8))) == 2


def test_an_unknown_docker_hub_image_fails_as_containerd_reports_it():
    status = new_runtime().pull_image("nosuch", T0)

    assert status.state == PullState.FAILED
    assert status.reason == "ErrImagePull"
    assert status.message == (
        "rpc error: code = Unknown desc = failed to pull and unpack image "
        '"docker.io/library/nosuch:latest": failed to resolve reference '
        '"docker.io/library/nosuch:latest": pull access denied, repository does not exist or '
        "may require authorization: server message: insufficient_scope: authorization failed"
    )


def test_a_missing_tag_of_a_known_image_is_not_found():
    status = new_runtime().pull_image("nginx:9.99", T0)

    assert status.state == PullState.FAILED
    assert status.message.endswith(
        'failed to resolve reference "docker.io/library/nginx:9.99": '
        "docker.io/library/nginx:9.99: not found"
    )
    assert status.message.startswith("rpc error: code = NotFound desc = ")


def test_an_unknown_registry_host_does_not_resolve():
    status = new_runtime().pull_image("registry.example.com/team/app:1.0", T0)

    assert status.message.endswith("dial tcp: lookup registry.example.com: no such host")


def test_an_unparseable_name_fails_as_invalid_image_name():
    status = new_runtime().pull_image("Nginx", T0)

    assert status.state == PullState.FAILED
    assert status.reason == "InvalidImageName"
    assert status.message == (
        'Failed to apply default image tag "Nginx": couldn\'t parse image name "Nginx": '
        "invalid reference format: repository name (library/Nginx) must be lowercase"
    )


def test_a_failed_pull_leaves_nothing_behind():
    runtime = new_runtime()
    runtime.pull_image("nosuch", T0)

    assert runtime.image_status("nosuch", at(60)).state == PullState.ABSENT
    assert len(runtime.list_images(at(60))) == 1
