"""core/v1 ConfigMap: settings a pod reads (its env, its files), kept apart from its image.

Validated as upstream's ValidateConfigMap: each key a config key, no key in both data and
binaryData, at most 1 MiB in all, and nothing changed once `immutable` is true.
"""

from __future__ import annotations

import base64
import binascii
import re

from cluster.resources.field_errors import FieldError, forbidden, invalid
from cluster.resources.meta import (
    dns1123_subdomain_errors,
    mapping,
    too_long,
    validate_immutable_meta,
    validate_object_meta,
)
from cluster.resources.types import ResourceType

MAX_TOTAL_BYTES = 1024 * 1024  # upstream's core.MaxSecretSize, shared by ConfigMaps
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
CONFIG_KEY_MESSAGE = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
    " (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is"
    " '[-._a-zA-Z0-9]+')"
)
IMMUTABLE = "field is immutable when `immutable` is set"


def config_key_errors(key: str) -> list[str]:
    """apimachinery's IsConfigMapKey."""
    problems = []
    if len(key) > 253:
        problems.append("must be no more than 253 characters")
    if not _CONFIG_KEY.fullmatch(key):
        problems.append(CONFIG_KEY_MESSAGE)
    if key == ".":
        problems.append("must not be '.'")
    elif key == "..":
        problems.append("must not be '..'")
    elif key.startswith(".."):
        problems.append("must not start with '..'")
    return problems


def validate(config_map: dict, old: dict | None) -> list[FieldError]:
    errors = [] if old is None else validate_immutable_meta(config_map, old)
    errors += validate_object_meta(
        config_map, namespaced=True, name_validator=dns1123_subdomain_errors
    )
    data, binary = config_map.get("data"), config_map.get("binaryData")
    total = 0
    for field, values in (("data", data), ("binaryData", binary)):
        if values is None:
            continue
        if not isinstance(values, dict):
            errors.append(invalid(field, values, "must be an object of strings"))  # ours
            continue
        for key, value in values.items():
            errors += [invalid(field, key, problem) for problem in config_key_errors(key)]
            if not isinstance(value, str):
                errors.append(invalid(f"{field}[{key}]", value, "must be a string"))  # ours
                continue
            if field == "binaryData":
                try:
                    total += len(base64.b64decode(value, validate=True))
                except (binascii.Error, ValueError):
                    errors.append(invalid(f"binaryData[{key}]", "<value>", "illegal base64 data"))
            else:
                total += len(value)
                if isinstance(binary, dict) and key in binary:
                    errors.append(invalid("data", key, "duplicate of key present in binaryData"))
    if total > MAX_TOTAL_BYTES:
        errors.append(too_long("", MAX_TOTAL_BYTES))
    if old is not None and mapping(old).get("immutable") is True:
        if config_map.get("immutable") is not True:
            errors.append(forbidden("immutable", IMMUTABLE))
        if data != old.get("data"):
            errors.append(forbidden("data", IMMUTABLE))
        if binary != old.get("binaryData"):
            errors.append(forbidden("binaryData", IMMUTABLE))
    return errors


RESOURCE = ResourceType(
    name="configmaps",
    singular="configmap",
    kind="ConfigMap",
    group="",
    version="v1",
    namespaced=True,
    validate=validate,
    short_names=("cm",),
    has_status=False,
)
