"""The CRI image service of one node: pulls, the local image cache, the image list.

A node has one simulated download link, so pulls queue behind each other
(as the kubelet's default serializeImagePulls does). Images are stored by
content digest: once `nginx:latest` is on the node, `nginx:1.27` (the same
content) needs no download, only a new tag, and a second pod with the same
image starts without a pull, which is what the scheduler's ImageLocality
score rewards.
"""

from __future__ import annotations

import datetime as dt

from cluster.components.runtime.image_spec import ImageSpec
from cluster.components.runtime.images import PAUSE_IMAGE, is_known_repository, lookup
from cluster.components.runtime.records import (
    ImageRecord,
    NodeState,
    PullRecord,
    after,
    from_iso,
    maybe_from_iso,
    to_iso,
)
from cluster.components.runtime.references import (
    DEFAULT_REGISTRY,
    ImageReference,
    InvalidImageReference,
    parse_reference,
)
from cluster.components.runtime.statuses import PullState, PullStatus

ERR_IMAGE_PULL = "ErrImagePull"
INVALID_IMAGE_NAME = "InvalidImageName"
# Registries that answer; a host not listed here does not resolve at all.
KNOWN_REGISTRIES = {DEFAULT_REGISTRY, "registry.k8s.io", "quay.io", "ghcr.io", "gcr.io"}


class ImageService:
    def __init__(self, state: NodeState) -> None:
        self._state = state
        if not self._state["images"]:
            self._preload(PAUSE_IMAGE)

    def advance(self, now: dt.datetime) -> None:
        """Finish every pull whose download is done by `now`."""
        for digest, pull in list(self._state["pulls"].items()):
            if from_iso(pull["doneAt"]) <= now:
                self._state["images"][digest] = {
                    "repository": pull["repository"],
                    "digest": digest,
                    "references": pull["references"],
                    "sizeBytes": pull["sizeBytes"],
                    "pullStartedAt": pull["startedAt"],
                    "pulledAt": pull["doneAt"],
                }
                del self._state["pulls"][digest]

    def pull_image(self, image: str, now: dt.datetime) -> PullStatus:
        """Start a pull (or join one, or find the image already here)."""
        self.advance(now)
        try:
            reference = parse_reference(image)
        except InvalidImageReference as error:
            return _invalid_name(image, error)
        spec = lookup(image)
        if spec is None:
            return PullStatus(
                image=str(reference),
                state=PullState.FAILED,
                reason=ERR_IMAGE_PULL,
                message=pull_failure_message(reference),
            )
        name = str(reference)
        present = self._state["images"].get(spec.digest)
        if present is not None:
            _add_reference(present["references"], name)
            return _pulled(name, present)
        pull = self._state["pulls"].get(spec.digest)
        if pull is None:
            pull = self._start_pull(spec, now)
        _add_reference(pull["references"], name)
        return _pulling(name, pull)

    def image_status(self, image: str, now: dt.datetime) -> PullStatus:
        """PULLED if this reference is on the node, PULLING if on its way, else ABSENT."""
        self.advance(now)
        try:
            name = str(parse_reference(image))
        except InvalidImageReference as error:
            return _invalid_name(image, error)
        for record in self._state["images"].values():
            if _names(record, name):
                return _pulled(name, record)
        for pull in self._state["pulls"].values():
            if name in pull["references"]:
                return _pulling(name, pull)
        return PullStatus(image=name, state=PullState.ABSENT)

    def present_image(self, image: str) -> ImageRecord | None:
        """The local image a reference names, if pulled (no clock: nothing is due)."""
        try:
            name = str(parse_reference(image))
        except InvalidImageReference:
            return None
        return next((r for r in self._state["images"].values() if _names(r, name)), None)

    def list_images(self) -> list[dict]:
        """The node's images as node status lists them: biggest first."""
        entries = [
            {
                "names": [f"{record['repository']}@{record['digest']}", *record["references"]],
                "sizeBytes": record["sizeBytes"],
            }
            for record in self._state["images"].values()
        ]
        return sorted(entries, key=lambda entry: (-entry["sizeBytes"], entry["names"][0]))

    def next_event_at(self) -> dt.datetime | None:
        done = [from_iso(pull["doneAt"]) for pull in self._state["pulls"].values()]
        return min(done, default=None)

    def _start_pull(self, spec: ImageSpec, now: dt.datetime) -> PullRecord:
        link_free_at = maybe_from_iso(self._state["pullLinkFreeAt"])
        started_at = to_iso(max(now, link_free_at) if link_free_at else now)
        pull: PullRecord = {
            "repository": spec.repository,
            "digest": spec.digest,
            "references": [],
            "sizeBytes": spec.size_bytes,
            "startedAt": started_at,
            "doneAt": after(started_at, spec.pull_seconds),
        }
        self._state["pulls"][spec.digest] = pull
        self._state["pullLinkFreeAt"] = pull["doneAt"]
        return pull

    def _preload(self, image: str) -> None:
        spec = lookup(image)
        assert spec is not None, f"{image} must be in the catalogue"
        self._state["images"][spec.digest] = {
            "repository": spec.repository,
            "digest": spec.digest,
            "references": [spec.reference],
            "sizeBytes": spec.size_bytes,
            "pullStartedAt": None,
            "pulledAt": None,
        }


def pull_failure_message(reference: ImageReference) -> str:
    """containerd's error for an image the registry cannot serve, as the kubelet prints it."""
    name = str(reference)
    prefix = f'failed to pull and unpack image "{name}": failed to resolve reference "{name}"'
    if reference.registry not in KNOWN_REGISTRIES:
        tag = reference.digest or reference.tag
        return (
            f"rpc error: code = Unknown desc = {prefix}: failed to do request: "
            f'Head "https://{reference.registry}/v2/{reference.path}/manifests/{tag}": '
            f"dial tcp: lookup {reference.registry}: no such host"
        )
    if reference.registry == DEFAULT_REGISTRY and not is_known_repository(reference.repository):
        # Docker Hub will not say whether a repository exists without a login.
        return (
            f"rpc error: code = Unknown desc = {prefix}: pull access denied, repository does "
            "not exist or may require authorization: server message: insufficient_scope: "
            "authorization failed"
        )
    return f"rpc error: code = NotFound desc = {prefix}: {name}: not found"


def _invalid_name(image: str, error: InvalidImageReference) -> PullStatus:
    return PullStatus(
        image=image,
        state=PullState.FAILED,
        reason=INVALID_IMAGE_NAME,
        message=(
            f'Failed to apply default image tag "{image}": '
            f'couldn\'t parse image name "{image}": {error}'
        ),
    )


def _names(record: ImageRecord, name: str) -> bool:
    return name in record["references"] or name == f"{record['repository']}@{record['digest']}"


def _add_reference(references: list[str], name: str) -> None:
    # A digest reference names the content, not a tag: nothing to record.
    if "@" not in name and name not in references:
        references.append(name)


def _pulled(name: str, record: ImageRecord) -> PullStatus:
    return PullStatus(
        image=name,
        state=PullState.PULLED,
        image_id=f"{record['repository']}@{record['digest']}",
        size_bytes=record["sizeBytes"],
        started_at=maybe_from_iso(record["pullStartedAt"]),
        done_at=maybe_from_iso(record["pulledAt"]),
    )


def _pulling(name: str, pull: PullRecord) -> PullStatus:
    return PullStatus(
        image=name,
        state=PullState.PULLING,
        image_id=f"{pull['repository']}@{pull['digest']}",
        size_bytes=pull["sizeBytes"],
        started_at=from_iso(pull["startedAt"]),
        done_at=from_iso(pull["doneAt"]),
    )
