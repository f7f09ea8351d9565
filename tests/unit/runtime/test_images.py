"""The catalogue finds images by any reference Docker accepts, and builds podlab ones from tags."""

import pytest

from cluster.components.runtime import CATALOGUE, lookup
from cluster.components.runtime.image_spec import Behaviour, SigtermResponse
from cluster.components.runtime.images import PAUSE_IMAGE


@pytest.mark.parametrize(
    "reference",
    ["nginx", "nginx:latest", "nginx:1.27", "nginx:1.27.3", "docker.io/library/nginx:latest"],
)
def test_every_way_of_writing_nginx_finds_the_same_image(reference):
    spec = lookup(reference)

    assert spec is not None
    assert spec.repository == "docker.io/library/nginx"
    assert spec.behaviour == Behaviour.RUNS_FOREVER


def test_tags_of_one_entry_share_a_digest_and_image_id():
    assert lookup("nginx:1.27").digest == lookup("nginx:latest").digest
    assert lookup("nginx").image_id.startswith("docker.io/library/nginx@sha256:")
    assert len(lookup("nginx").digest.removeprefix("sha256:")) == 64


def test_an_image_can_be_named_by_its_digest():
    spec = lookup("redis")

    assert lookup(f"redis@{spec.digest}") is spec
    assert lookup("redis@sha256:" + "0" * 64) is None


@pytest.mark.parametrize(
    "reference", ["nosuch", "nginx:9.99", "example.com/team/app:1.0", "Nginx", "podlab/unknown"]
)
def test_images_outside_the_catalogue_are_not_found(reference):
    assert lookup(reference) is None


def test_image_sizes_drive_pull_seconds_at_the_simulated_bandwidth():
    assert lookup("nginx").pull_seconds == 4  # 72.4 MB at 20 MB/s, rounded up
    assert lookup("postgres").pull_seconds == 8
    assert lookup("hello-world").pull_seconds == 1  # never less than a second


def test_a_crash_tag_sets_exit_code_and_time():
    spec = lookup("podlab/crash:exit-3-after-20s")

    assert spec.behaviour == Behaviour.CRASHES
    assert (spec.exit_code, spec.run_seconds) == (3, 20)
    assert spec.reference == "docker.io/podlab/crash:exit-3-after-20s"


def test_podlab_images_have_documented_defaults_at_latest():
    assert (lookup("podlab/crash").exit_code, lookup("podlab/crash").run_seconds) == (1, 5)
    assert lookup("podlab/job").run_seconds == 10
    assert lookup("podlab/slow-start").run_seconds == 30
    assert lookup("podlab/memory-hog").memory_bytes == 256 * 2**20


def test_a_podlab_latest_tag_is_the_same_content_as_its_explicit_tag():
    assert lookup("podlab/crash").digest == lookup("podlab/crash:exit-1-after-5s").digest


@pytest.mark.parametrize(
    ("reference", "behaviour", "run_seconds"),
    [
        ("podlab/job:done-in-45s", Behaviour.EXITS, 45),
        ("podlab/slow-start:12s", Behaviour.SLOW_START, 12),
        ("podlab/memory-hog:1Gi-after-8s", Behaviour.MEMORY_HOG, 8),
    ],
)
def test_parameterised_podlab_tags_become_behaviours(reference, behaviour, run_seconds):
    spec = lookup(reference)

    assert (spec.behaviour, spec.run_seconds) == (behaviour, run_seconds)


@pytest.mark.parametrize(
    "reference",
    [
        "podlab/crash:exit-256-after-5s",
        "podlab/crash:exit-1-after-5",
        "podlab/job:done-in-ten-seconds",
        "podlab/memory-hog:0-after-5s",
    ],
)
def test_malformed_podlab_tags_are_not_found(reference):
    assert lookup(reference) is None


def test_catalogue_has_the_real_images_and_the_teaching_images():
    names = {spec.familiar_reference.split(":")[0] for spec in CATALOGUE}

    assert {"nginx", "httpd", "redis", "postgres", "busybox", "alpine", "hello-world"} <= names
    assert {"podlab/job", "podlab/crash", "podlab/memory-hog", "podlab/slow-start"} <= names
    assert PAUSE_IMAGE.split(":")[0] in names


def test_every_catalogue_entry_is_found_by_its_own_reference_and_explains_itself():
    for spec in CATALOGUE:
        assert lookup(spec.familiar_reference) == spec
        assert spec.description
        assert spec.size_bytes > 0


def test_shells_ignore_sigterm_and_servers_shut_down_gracefully():
    assert lookup("busybox").sigterm == SigtermResponse.IGNORED
    assert lookup("nginx").sigterm == SigtermResponse.GRACEFUL
    assert lookup("podlab/crash").sigterm == SigtermResponse.DIES


def test_two_releases_of_one_repository_are_different_images():
    older, newer = lookup("nginx:1.25"), lookup("nginx:1.27")
    assert older.tags[0] == "1.25.5" and newer.tags[0] == "1.27.3"
    assert older.digest != newer.digest
    assert lookup(f"nginx@{older.digest}") is older
    assert lookup("nginx") is newer  # latest
    assert lookup("nginx:1.26") is None
