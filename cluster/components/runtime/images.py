"""The image catalogue: every image the simulated registry can serve.

References are normalised as Docker does (`nginx` is
`docker.io/library/nginx:latest`), so `nginx`, `nginx:1.27` and
`docker.io/library/nginx:latest` all find the same entry. Sizes are close
to the real compressed images; they drive pull time (20 MB/s, at least 1 s,
see image_spec.PULL_BYTES_PER_SECOND) and the node's image list, which the
scheduler's ImageLocality score reads.

Real images (tags with the same content share one digest):

- nginx (1.27.3, 1.27, latest), 72 MB: runs forever, like a web server.
  Stops gracefully (exit 0) when asked. nginx (1.25.5, 1.25), 71 MB, is the
  same server one release older: a Deployment rolls from one to the other.
- httpd (2.4.62, 2.4, latest), 58 MB: runs forever, the Apache web server.
- redis (7.4.1, 7.4, latest), 45 MB: runs forever, an in-memory database.
- postgres (17.2, 17, latest), 158 MB: runs forever once POSTGRES_PASSWORD (or
  POSTGRES_HOST_AUTH_METHOD) is set; without it, exits 1 at once with the real
  image's complaint, a classic CrashLoopBackOff.
- busybox (1.37.0, 1.37, latest), 2 MB, and alpine (3.21.0, 3.21, latest),
  4 MB: a shell with nothing to do exits 0 at once; give it a command such
  as `sleep 3600` (see commands.py). As PID 1 it ignores SIGTERM, so a stop
  waits for the grace period and ends in SIGKILL (exit 137).
- hello-world (latest), 13 kB: prints a greeting and exits 0 at once.
- registry.k8s.io/pause (3.10), 320 kB: holds a pod sandbox's namespaces;
  every node has it from the start.

Podlab teaching images (podlab_images.py; the tag is the behaviour):

- podlab/job:done-in-<n>s (latest: done-in-10s): exits 0 after n seconds.
- podlab/crash:exit-<code>-after-<n>s (latest: exit-1-after-5s): exits with
  <code> (0-255) after n seconds, reason Error.
- podlab/memory-hog:<size>-after-<n>s (latest: 256Mi-after-5s): allocates
  <size> over n seconds; OOMKilled (exit 137) at n seconds only if the
  container's memory limit is below <size>, otherwise it keeps running.
- podlab/slow-start:<n>s (latest: 30s): runs forever, ready after n seconds.

Anything else fails to pull, with the message containerd would give
(image_service.pull_failure_message).

`lookup(image)` returns the ImageSpec for a reference, or None.
`CATALOGUE` lists every entry at its default tag, for pickers and docs.
"""

from __future__ import annotations

from cluster.components.runtime.image_spec import Behaviour, ImageSpec, SigtermResponse
from cluster.components.runtime.podlab_images import defaults as podlab_defaults
from cluster.components.runtime.podlab_images import lookup_podlab
from cluster.components.runtime.references import InvalidImageReference, parse_reference

PAUSE_IMAGE = "registry.k8s.io/pause:3.10"

_NGINX_TIME = "{time:%Y/%m/%d %H:%M:%S}"
_HTTPD_TIME = "[{time:%a %b %d %H:%M:%S.000000 %Y}]"
_REDIS_TIME = "{time:%d %b %Y %H:%M:%S.000}"
_POSTGRES_TIME = "{time:%Y-%m-%d %H:%M:%S.000 UTC}"
_SHELL_DESCRIPTION = "a shell: exits 0 at once unless given a command such as `sleep 3600`"


def _nginx(version: str, tags: tuple[str, ...], size_bytes: int, description: str) -> ImageSpec:
    return ImageSpec(
        repository="docker.io/library/nginx",
        tags=(version, *tags),
        size_bytes=size_bytes,
        behaviour=Behaviour.RUNS_FOREVER,
        description=description,
        logs=(
            (0, "/docker-entrypoint.sh: Configuration complete; ready for start up"),
            (0, f"{_NGINX_TIME} [notice] 1#1: nginx/{version}"),
            (0, f"{_NGINX_TIME} [notice] 1#1: start worker processes"),
        ),
        sigterm=SigtermResponse.GRACEFUL,
        shutdown_logs=(
            f"{_NGINX_TIME} [notice] 1#1: signal 3 (SIGQUIT) received, shutting down",
            f"{_NGINX_TIME} [notice] 1#1: exit",
        ),
    )


_REAL_IMAGES = [
    _nginx("1.27.3", ("1.27", "latest"), 72_404_038, "runs forever, like a web server"),
    _nginx(
        "1.25.5",
        ("1.25",),
        71_025_478,
        "runs forever, like a web server (the release before 1.27: roll from one to the other)",
    ),
    ImageSpec(
        repository="docker.io/library/httpd",
        tags=("2.4.62", "2.4", "latest"),
        size_bytes=58_257_164,
        behaviour=Behaviour.RUNS_FOREVER,
        description="runs forever, the Apache web server",
        logs=(
            (
                0,
                "AH00558: httpd: Could not reliably determine the server's fully qualified "
                "domain name, using {ip}. Set the 'ServerName' directive globally to "
                "suppress this message",
            ),
            (
                0,
                f"{_HTTPD_TIME} [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/2.4.62 (Unix) "
                "configured -- resuming normal operations",
            ),
        ),
        sigterm=SigtermResponse.GRACEFUL,
        shutdown_logs=(
            f"{_HTTPD_TIME} [mpm_event:notice] [pid 1:tid 1] AH00492: caught SIGWINCH, "
            "shutting down gracefully",
        ),
    ),
    ImageSpec(
        repository="docker.io/library/redis",
        tags=("7.4.1", "7.4", "latest"),
        size_bytes=45_127_322,
        behaviour=Behaviour.RUNS_FOREVER,
        description="runs forever, an in-memory key/value database",
        logs=(
            (0, f"1:C {_REDIS_TIME} # Redis version=7.4.1, bits=64, just started"),
            (0, f"1:M {_REDIS_TIME} * Server initialized"),
            (0, f"1:M {_REDIS_TIME} * Ready to accept connections tcp"),
        ),
        sigterm=SigtermResponse.GRACEFUL,
        shutdown_logs=(
            f"1:M {_REDIS_TIME} # User requested shutdown...",
            f"1:M {_REDIS_TIME} # Redis is now ready to exit, bye bye...",
        ),
    ),
    ImageSpec(
        repository="docker.io/library/postgres",
        tags=("17.2", "17", "latest"),
        size_bytes=158_439_871,
        behaviour=Behaviour.RUNS_FOREVER,
        description="runs forever, a SQL database; needs the env var POSTGRES_PASSWORD",
        logs=(
            (0, "PostgreSQL init process complete; ready for start up."),
            (1, f"{_POSTGRES_TIME} [1] LOG:  starting PostgreSQL 17.2 on x86_64-pc-linux-gnu"),
            (1, f'{_POSTGRES_TIME} [1] LOG:  listening on IPv4 address "0.0.0.0", port 5432'),
            (2, f"{_POSTGRES_TIME} [1] LOG:  database system is ready to accept connections"),
        ),
        sigterm=SigtermResponse.GRACEFUL,
        shutdown_logs=(
            f"{_POSTGRES_TIME} [1] LOG:  received fast shutdown request",
            f"{_POSTGRES_TIME} [1] LOG:  database system is shut down",
        ),
        requires_env_one_of=("POSTGRES_PASSWORD", "POSTGRES_HOST_AUTH_METHOD"),
        missing_env_logs=(
            "Error: Database is uninitialized and superuser password is not specified.",
            "       You must specify POSTGRES_PASSWORD to a non-empty value for the",
            '       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".',
        ),
    ),
    ImageSpec(
        repository="docker.io/library/busybox",
        tags=("1.37.0", "1.37", "latest"),
        size_bytes=2_156_512,
        behaviour=Behaviour.EXITS,
        description=_SHELL_DESCRIPTION,
        sigterm=SigtermResponse.IGNORED,
    ),
    ImageSpec(
        repository="docker.io/library/alpine",
        tags=("3.21.0", "3.21", "latest"),
        size_bytes=3_642_392,
        behaviour=Behaviour.EXITS,
        description=_SHELL_DESCRIPTION,
        sigterm=SigtermResponse.IGNORED,
    ),
    ImageSpec(
        repository="docker.io/library/hello-world",
        tags=("latest",),
        size_bytes=13_256,
        behaviour=Behaviour.EXITS,
        description="prints a greeting and exits 0 at once",
        logs=(
            (0, ""),
            (0, "Hello from Docker!"),
            (0, "This message shows that your installation appears to be working correctly."),
        ),
        has_shell=False,
    ),
    ImageSpec(
        repository="registry.k8s.io/pause",
        tags=("3.10",),
        size_bytes=320_368,
        behaviour=Behaviour.RUNS_FOREVER,
        description="holds a pod sandbox's namespaces and sleeps; every node has it",
        has_shell=False,
    ),
]

CATALOGUE: list[ImageSpec] = [*_REAL_IMAGES, *podlab_defaults()]

# A repository may hold releases with different content (nginx 1.25 and 1.27): each is
# an entry of its own, found by its tag or digest.
_BY_REPOSITORY: dict[str, list[ImageSpec]] = {}
for _spec in _REAL_IMAGES:
    _BY_REPOSITORY.setdefault(_spec.repository, []).append(_spec)


def lookup(image: str) -> ImageSpec | None:
    """The catalogue entry an image reference names, or None (the pull will fail)."""
    try:
        reference = parse_reference(image)
    except InvalidImageReference:
        return None
    entries = _BY_REPOSITORY.get(reference.repository)
    if entries is None and reference.tag:
        entries = [spec] if (spec := lookup_podlab(reference.repository, reference.tag)) else []
    return next(
        (
            spec
            for spec in entries or []
            if (not reference.tag or reference.tag in spec.tags)
            and (not reference.digest or reference.digest == spec.digest)
        ),
        None,
    )


def is_known_repository(repository: str) -> bool:
    """Whether the registry has this repository at all (some tag of it may still be missing)."""
    return repository in _BY_REPOSITORY or lookup_podlab(repository, "latest") is not None
