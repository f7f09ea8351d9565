"""What the simulated runtime knows about one image: size, behaviour, logs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from cluster.components.runtime.references import DEFAULT_REGISTRY, content_digest

# The node's simulated download link. Slower than a data centre on purpose:
# at 20 MB/s an nginx pull takes a few seconds, long enough for a student to
# see "Pulling image" on the diagram, and long enough for ImageLocality (a
# node that already has the image) to matter.
PULL_BYTES_PER_SECOND = 20_000_000
MIN_PULL_SECONDS = 1


class Behaviour(StrEnum):
    RUNS_FOREVER = "runs-forever"
    EXITS = "exits"
    CRASHES = "crashes"
    MEMORY_HOG = "memory-hog"
    SLOW_START = "slow-start"


class SigtermResponse(StrEnum):
    """What the image's main process does when the runtime asks it to stop."""

    GRACEFUL = "graceful"  # handles the signal, shuts down, exits 0
    DIES = "dies"  # the default action: the process ends, exit 128+15 = 143
    IGNORED = "ignored"  # PID 1 without a handler: lives until SIGKILL, 128+9 = 137


@dataclass(frozen=True)
class ImageSpec:
    """One image of the catalogue.

    `logs` are (seconds after start, text) pairs; the text may use `{time:<strftime>}`
    (the simulated time the line is written) and `{ip}` (the pod IP).
    `run_seconds` means: when an EXITS or CRASHES image ends, when a MEMORY_HOG
    has allocated all its memory, how long a SLOW_START image warms up.
    """

    repository: str
    tags: tuple[str, ...]
    size_bytes: int
    behaviour: Behaviour
    description: str
    run_seconds: float = 0
    exit_code: int = 0
    memory_bytes: int = 0
    logs: tuple[tuple[float, str], ...] = ()
    sigterm: SigtermResponse = SigtermResponse.DIES
    shutdown_logs: tuple[str, ...] = ()
    has_shell: bool = True
    # Any one of these environment variables must be set, or the image exits
    # with code 1 at once and writes `missing_env_logs` (as postgres does).
    requires_env_one_of: tuple[str, ...] = ()
    missing_env_logs: tuple[str, ...] = ()
    # For parameterised podlab images: the tag's shape, e.g. "exit-<code>-after-<n>s".
    tag_pattern: str = ""

    @property
    def reference(self) -> str:
        """The canonical full reference: docker.io/library/nginx:1.27.3."""
        return f"{self.repository}:{self.tags[0]}"

    @property
    def familiar_reference(self) -> str:
        """How people write it: nginx:1.27.3, podlab/crash:exit-1-after-5s."""
        return familiar_name(self.reference)

    @property
    def references(self) -> tuple[str, ...]:
        """Every full reference with this content (all its tags)."""
        return tuple(f"{self.repository}:{tag}" for tag in self.tags)

    @property
    def digest(self) -> str:
        # All tags of one entry point at the same content, hence one digest.
        return content_digest(self.reference)

    @property
    def image_id(self) -> str:
        """The repo digest that container statuses report as imageID."""
        return f"{self.repository}@{self.digest}"

    @property
    def pull_seconds(self) -> int:
        return max(MIN_PULL_SECONDS, math.ceil(self.size_bytes / PULL_BYTES_PER_SECOND))


def familiar_name(reference: str) -> str:
    """Drop the defaults Docker adds: docker.io/library/nginx:latest -> nginx:latest."""
    for prefix in (f"{DEFAULT_REGISTRY}/library/", f"{DEFAULT_REGISTRY}/"):
        if reference.startswith(prefix):
            return reference.removeprefix(prefix)
    return reference
