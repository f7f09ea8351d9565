"""The pod-template-hash that names a Deployment's ReplicaSets (upstream's
controller.ComputeHash and deployment util's EqualIgnoreHash)."""

from __future__ import annotations

import json
from collections.abc import Mapping

POD_TEMPLATE_HASH_LABEL = "pod-template-hash"  # apps.DefaultDeploymentUniqueLabelKey

# Upstream's rand.SafeEncodeString alphabet: no vowels, no look-alikes, so that a hash
# never spells a word.
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_FNV32_OFFSET = 0x811C9DC5
_FNV32_PRIME = 0x01000193


def compute_hash(template: Mapping, collision_count: int | None = None) -> str:
    """As upstream's ComputeHash: FNV-32a over the template, then collisionCount's bytes,
    and SafeEncodeString of the sum's decimal digits.

    Upstream hashes the template with hashutil.DeepHashObject (Go's %#v printer of the
    struct); Python cannot reproduce Go's struct printing byte for byte, so the template
    is hashed as canonical JSON (sorted keys, no spaces) instead. The hash is stable and
    looks like upstream's (digits mapped onto the same alphabet: "7d4b9c8f5"), but it is
    not the value a real cluster would compute for the same template.
    """
    canonical = json.dumps(template, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = _fnv32a(canonical.encode(), _FNV32_OFFSET)
    if collision_count is not None:
        # As upstream: a uint32 written little-endian into an 8-byte buffer.
        digest = _fnv32a((collision_count & 0xFFFFFFFF).to_bytes(8, "little"), digest)
    return safe_encode_string(str(digest))


def safe_encode_string(text: str) -> str:
    """Upstream's rand.SafeEncodeString: each byte onto the 27-letter alphabet."""
    return "".join(_SAFE_ALPHABET[byte % len(_SAFE_ALPHABET)] for byte in text.encode())


def equal_ignore_hash(template1: Mapping | None, template2: Mapping | None) -> bool:
    """As upstream's EqualIgnoreHash: the same template but for the pod-template-hash label,
    compared as apiequality.Semantic does (an empty map or list equals a missing one)."""
    return _semantic(_without_hash(template1)) == _semantic(_without_hash(template2))


def template_without_hash(template: Mapping | None) -> dict:
    """The template with the pod-template-hash label taken out (labelsutil.CloneAndRemoveLabel)."""
    return _without_hash(template)


def _without_hash(template: Mapping | None) -> dict:
    copied = json.loads(json.dumps(template or {}))
    labels = (copied.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(POD_TEMPLATE_HASH_LABEL, None)
    return copied


def _semantic(value: object) -> object:
    """Drop what Go's semantic equality cannot tell from absent: nulls, empty maps, lists."""
    if isinstance(value, dict):
        kept = {key: _semantic(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, {}, [])}
    if isinstance(value, list):
        return [_semantic(item) for item in value]
    return value


def _fnv32a(data: bytes, start: int) -> int:
    digest = start
    for byte in data:
        digest = ((digest ^ byte) * _FNV32_PRIME) & 0xFFFFFFFF
    return digest
