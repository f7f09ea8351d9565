"""Image references normalise as Docker's do, and bad ones fail with upstream's message."""

import pytest

from cluster.components.runtime.references import InvalidImageReference, normalise_reference

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("library/nginx", "docker.io/library/nginx:latest"),
        ("docker.io/library/nginx:latest", "docker.io/library/nginx:latest"),
        ("docker.io/nginx", "docker.io/library/nginx:latest"),
        ("index.docker.io/library/nginx", "docker.io/library/nginx:latest"),
        ("podlab/crash:exit-1-after-5s", "docker.io/podlab/crash:exit-1-after-5s"),
        ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"),
        ("localhost/app", "localhost/app:latest"),
        ("localhost:5000/team/app:v2", "localhost:5000/team/app:v2"),
        (f"nginx@{DIGEST}", f"docker.io/library/nginx@{DIGEST}"),
    ],
)
def test_references_normalise_as_docker_does(written, normalised):
    assert normalise_reference(written) == normalised


def test_capital_letters_in_a_repository_name_are_rejected_with_upstreams_message():
    with pytest.raises(InvalidImageReference) as error:
        normalise_reference("Nginx")

    assert str(error.value) == (
        "invalid reference format: repository name (library/Nginx) must be lowercase"
    )


@pytest.mark.parametrize("written", ["", "nginx:", "nginx@sha256:abc", "ngi nx", "nginx:la test"])
def test_malformed_references_are_rejected(written):
    with pytest.raises(InvalidImageReference, match="invalid reference format"):
        normalise_reference(written)
