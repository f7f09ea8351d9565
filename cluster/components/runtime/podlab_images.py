"""Podlab's teaching images: small images whose tag says what they will do.

`podlab/crash:exit-3-after-20s` is a whole lesson in one line: the tag is
parsed into the image's behaviour, so a teacher can stage any failure
without a new catalogue entry. Each repository's `latest` tag is its
documented default. All are built on busybox, so they share its size class.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from cluster.components.runtime.image_spec import Behaviour, ImageSpec
from cluster.quantity import InvalidQuantity, memory_bytes

PODLAB_REPOSITORY_PREFIX = "docker.io/podlab/"
PODLAB_IMAGE_BYTES = 2_250_000
# Progress lines a job or memory hog writes while it runs, at most: enough to
# watch `kubectl logs -f` move, few enough to keep a node's disk small.
MAX_PROGRESS_LINES = 10
_MAX_SECONDS = 999_999
MEBIBYTE = 2**20


def job(seconds: int) -> ImageSpec:
    return ImageSpec(
        repository=PODLAB_REPOSITORY_PREFIX + "job",
        tags=(f"done-in-{seconds}s",),
        size_bytes=PODLAB_IMAGE_BYTES,
        behaviour=Behaviour.EXITS,
        description=f"does {seconds} seconds of work, then exits 0, like a batch job",
        run_seconds=seconds,
        logs=(
            (0, f"job started: {seconds}s of work to do"),
            *_progress(seconds, lambda done: f"working: {done}s of {seconds}s done"),
            (seconds, "job finished successfully"),
        ),
        tag_pattern="done-in-<n>s",
    )


def crash(exit_code: int, seconds: int) -> ImageSpec:
    return ImageSpec(
        repository=PODLAB_REPOSITORY_PREFIX + "crash",
        tags=(f"exit-{exit_code}-after-{seconds}s",),
        size_bytes=PODLAB_IMAGE_BYTES,
        behaviour=Behaviour.CRASHES,
        description=f"starts, then crashes with exit code {exit_code} after {seconds} seconds",
        run_seconds=seconds,
        exit_code=exit_code,
        logs=(
            (0, "starting up"),
            (seconds, f"fatal: something went wrong, exiting with code {exit_code}"),
        ),
        tag_pattern="exit-<code>-after-<n>s",
    )


def memory_hog(size: str, seconds: int) -> ImageSpec:
    total = memory_bytes(size)
    return ImageSpec(
        repository=PODLAB_REPOSITORY_PREFIX + "memory-hog",
        tags=(f"{size}-after-{seconds}s",),
        size_bytes=PODLAB_IMAGE_BYTES,
        behaviour=Behaviour.MEMORY_HOG,
        description=(
            f"allocates {size} of memory over {seconds} seconds: OOMKilled (exit 137) "
            "if its memory limit is lower, otherwise it keeps running"
        ),
        run_seconds=seconds,
        memory_bytes=total,
        logs=(
            (0, f"allocating {size} of memory over {seconds}s"),
            *_progress(
                seconds,
                lambda done: f"allocated {total * done // seconds // MEBIBYTE}Mi of {size}",
            ),
            (seconds, f"holding {size}"),
        ),
        tag_pattern="<size>-after-<n>s",
    )


def slow_start(seconds: int) -> ImageSpec:
    return ImageSpec(
        repository=PODLAB_REPOSITORY_PREFIX + "slow-start",
        tags=(f"{seconds}s",),
        size_bytes=PODLAB_IMAGE_BYTES,
        behaviour=Behaviour.SLOW_START,
        description=(
            f"runs forever, but warms up for {seconds} seconds before it is ready to serve"
        ),
        run_seconds=seconds,
        logs=((0, f"warming up: ready in {seconds}s"), (seconds, "ready: serving on :8080")),
        tag_pattern="<n>s",
    )


_DEFAULTS: dict[str, Callable[[], ImageSpec]] = {
    "job": lambda: job(10),
    "crash": lambda: crash(1, 5),
    "memory-hog": lambda: memory_hog("256Mi", 5),
    "slow-start": lambda: slow_start(30),
}

_SECONDS = rf"(?P<seconds>\d{{1,{len(str(_MAX_SECONDS))}}})s"
_TAG_FORMS: dict[str, re.Pattern[str]] = {
    "job": re.compile(rf"done-in-{_SECONDS}"),
    "crash": re.compile(rf"exit-(?P<code>\d{{1,3}})-after-{_SECONDS}"),
    "memory-hog": re.compile(rf"(?P<size>\d+(?:[KMG]i)?)-after-{_SECONDS}"),
    "slow-start": re.compile(_SECONDS),
}


def defaults() -> list[ImageSpec]:
    """Each teaching image at its `latest` tag, as the catalogue lists them."""
    return [_with_latest(make()) for make in _DEFAULTS.values()]


def lookup_podlab(repository: str, tag: str) -> ImageSpec | None:
    """The teaching image a podlab/<name>:<tag> reference describes, if any."""
    name = repository.removeprefix(PODLAB_REPOSITORY_PREFIX)
    if not repository.startswith(PODLAB_REPOSITORY_PREFIX) or name not in _DEFAULTS:
        return None
    default = _with_latest(_DEFAULTS[name]())
    if tag in default.tags:
        return default
    match = _TAG_FORMS[name].fullmatch(tag)
    if match is None:
        return None
    params = match.groupdict()
    seconds = int(params["seconds"])
    if name == "job":
        return job(seconds)
    if name == "crash":
        code = int(params["code"])
        return crash(code, seconds) if code <= 255 else None
    if name == "memory-hog":
        return _memory_hog_or_none(params["size"], seconds)
    return slow_start(seconds)


def _memory_hog_or_none(size: str, seconds: int) -> ImageSpec | None:
    try:
        return memory_hog(size, seconds) if memory_bytes(size) > 0 else None
    except InvalidQuantity:
        return None


def _with_latest(spec: ImageSpec) -> ImageSpec:
    # `latest` and the explicit tag are the same content, as on a real registry.
    return replace(spec, tags=(*spec.tags, "latest"))


def _progress(seconds: int, line: Callable[[int], str]) -> tuple[tuple[float, str], ...]:
    step = max(1, -(-seconds // MAX_PROGRESS_LINES))
    return tuple((done, line(done)) for done in range(step, seconds, step))
