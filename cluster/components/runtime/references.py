"""Image references, normalised as Docker and containerd normalise them.

`nginx` and `docker.io/library/nginx:latest` name the same image: a reference
without a registry is on Docker Hub (`docker.io`), a one-part Docker Hub name
is in the `library/` namespace, and a reference with neither tag nor digest
means the tag `latest`. The rules follow github.com/distribution/reference
(ParseNormalizedNamed, then TagNameOnly), including its error messages, which
the kubelet shows students under the reason InvalidImageName.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

DEFAULT_REGISTRY = "docker.io"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"

_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
_INVALID_FORMAT = "invalid reference format"


class InvalidImageReference(ValueError):
    """The text is not an image reference; str() is upstream's parse error."""


@dataclass(frozen=True)
class ImageReference:
    registry: str
    path: str
    tag: str
    digest: str = ""

    @property
    def repository(self) -> str:
        """`docker.io/library/nginx`: the name without tag or digest."""
        return f"{self.registry}/{self.path}"

    def __str__(self) -> str:
        text = self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_reference(text: str) -> ImageReference:
    """Parse and normalise: `nginx` -> docker.io/library/nginx:latest."""
    name, _, digest = text.partition("@")
    if digest and not _DIGEST.fullmatch(digest):
        raise InvalidImageReference(_INVALID_FORMAT)
    tag = ""
    last_slash = name.rfind("/")
    if ":" in name[last_slash + 1 :]:
        name, _, tag = name.rpartition(":")
        if not _TAG.fullmatch(tag):
            raise InvalidImageReference(_INVALID_FORMAT)
    registry, path = _split_registry(name)
    if path.lower() != path:
        raise InvalidImageReference(
            f"{_INVALID_FORMAT}: repository name ({path}) must be lowercase"
        )
    if not all(_PATH_COMPONENT.fullmatch(part) for part in path.split("/")):
        raise InvalidImageReference(_INVALID_FORMAT)
    if not tag and not digest:
        tag = DEFAULT_TAG
    return ImageReference(registry=registry, path=path, tag=tag, digest=digest)


def normalise_reference(text: str) -> str:
    """The full form the runtime reports: `nginx` -> `docker.io/library/nginx:latest`."""
    return str(parse_reference(text))


def content_digest(seed: str) -> str:
    """A stable, made-up `sha256:<64 hex>` standing in for a registry's manifest digest."""
    return "sha256:" + hashlib.sha256(f"podlab-image:{seed}".encode()).hexdigest()


def _split_registry(name: str) -> tuple[str, str]:
    # Upstream reads the first component as a registry host only if it looks
    # like one (a dot, a port, "localhost", or capitals); `podlab/crash` is a
    # Docker Hub namespace, `registry.k8s.io/pause` a host.
    first, slash, rest = name.partition("/")
    looks_like_host = "." in first or ":" in first or first == "localhost" or first != first.lower()
    if slash and looks_like_host:
        registry, path = first, rest
    else:
        registry, path = DEFAULT_REGISTRY, name
    if not path:
        raise InvalidImageReference(_INVALID_FORMAT)
    if registry == "index.docker.io":
        registry = DEFAULT_REGISTRY
    if registry == DEFAULT_REGISTRY and "/" not in path:
        path = f"{DEFAULT_NAMESPACE}/{path}"
    return registry, path
