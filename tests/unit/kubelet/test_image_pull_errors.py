"""An image the registry cannot serve: ErrImagePull, then ImagePullBackOff, retried with backoff."""

from .harness import Node, make_pod

PULL_ERROR = (
    'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/'
    'nosuch:latest": failed to resolve reference "docker.io/library/nosuch:latest": pull '
    "access denied, repository does not exist or may require authorization: server message: "
    "insufficient_scope: authorization failed"
)
ERR_IMAGE_PULL = {"waiting": {"reason": "ErrImagePull", "message": PULL_ERROR}}
IMAGE_PULL_BACK_OFF = {
    "waiting": {
        "reason": "ImagePullBackOff",
        "message": f'Back-off pulling image "nosuch": ErrImagePull: {PULL_ERROR}',
    }
}


def test_a_failed_pull_is_err_image_pull_with_the_runtimes_message():
    node = Node(make_pod(image="nosuch"))
    node.tick(0)

    assert node.container()["state"] == ERR_IMAGE_PULL
    assert node.container()["lastState"] == {}
    assert node.status()["phase"] == "Pending"
    assert node.events() == [
        ("Normal", "Pulling", 'Pulling image "nosuch"'),
        ("Warning", "Failed", f'Failed to pull image "nosuch": {PULL_ERROR}'),
        ("Warning", "Failed", "Error: ErrImagePull"),
    ]


def test_within_the_pull_backoff_it_is_image_pull_back_off_without_pulling():
    node = Node(make_pod(image="nosuch"))
    node.ticks(0, 5)

    assert node.container()["state"] == IMAGE_PULL_BACK_OFF
    assert node.events()[3:] == [
        ("Normal", "BackOff", 'Back-off pulling image "nosuch"'),
        ("Warning", "Failed", "Error: ImagePullBackOff"),
    ]
    assert node.event_counts()['Pulling image "nosuch"'] == 1


def test_pulls_are_retried_after_10_s_then_20_s():
    node = Node(make_pod(image="nosuch"))
    node.ticks(0, 5, 10)
    assert node.container()["state"] == ERR_IMAGE_PULL
    assert node.event_counts()['Pulling image "nosuch"'] == 2

    node.tick(29.9)
    assert node.container()["state"] == IMAGE_PULL_BACK_OFF
    assert node.event_counts()['Pulling image "nosuch"'] == 2

    node.tick(30)
    assert node.container()["state"] == ERR_IMAGE_PULL
    assert node.event_counts()['Pulling image "nosuch"'] == 3
