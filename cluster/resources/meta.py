"""Validators every resource shares: names, labels, annotations, metadata, quantities.

Messages follow k8s.io/apimachinery/pkg/util/validation (v1.32) word for word,
so `kubectl` against the sandbox prints what it prints against a real cluster.
Checks marked "ours" have no upstream counterpart: upstream rejects those
inputs earlier, while decoding JSON into Go structs, with a decoder message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from cluster.quantity import QUANTITY_FORMAT_ERROR, InvalidQuantity, format_quantity, parse_quantity
from cluster.resources.field_errors import (
    ErrorType,
    FieldError,
    forbidden,
    invalid,
    required,
)

DNS1123_LABEL_MAX_LENGTH = 63
DNS1123_SUBDOMAIN_MAX_LENGTH = 253
QUALIFIED_NAME_MAX_LENGTH = 63
LABEL_VALUE_MAX_LENGTH = 63
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"

_DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)
_QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, "
    "'-', '_' or '.', and must start and end with an alphanumeric character"
)
FIELD_IMMUTABLE = "field is immutable"
NOT_A_STRING_MAP = "must be a map of string keys to string values"  # ours
IS_NEGATIVE = "must be greater than or equal to 0"

_DNS1123_LABEL = re.compile(DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN = re.compile(DNS1123_SUBDOMAIN_FMT)
_QUALIFIED_NAME = re.compile(QUALIFIED_NAME_FMT)
_LABEL_VALUE = re.compile(LABEL_VALUE_FMT)

# Finalizers that may go without a domain prefix (upstream's standardFinalizers).
STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})
NOT_A_STANDARD_FINALIZER = "name is neither a standard finalizer name nor is it fully qualified"

# A name rule returns upstream's reasons ("must be no more than 63 characters", ...).
NameValidator = Callable[[str], list[str]]


# --- upstream's string rules: each returns a list of reasons, empty when valid ---


def regex_error(message: str, fmt: str, *examples: str) -> str:
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def dns1123_label_errors(value: str) -> list[str]:
    errors = []
    if len(value) > DNS1123_LABEL_MAX_LENGTH:
        errors.append(max_len_error(DNS1123_LABEL_MAX_LENGTH))
    if not _DNS1123_LABEL.fullmatch(value):
        if _DNS1123_SUBDOMAIN.fullmatch(value):
            errors.append("must not contain dots")
        else:
            errors.append(regex_error(_DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errors


def dns1123_subdomain_errors(value: str) -> list[str]:
    errors = []
    if len(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errors.append(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        errors.append(regex_error(_DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errors


def qualified_name_errors(value: str) -> list[str]:
    """A label key: `name` or `prefix/name`, the prefix a DNS subdomain."""
    parts = value.split("/")
    if len(parts) > 2:
        return [
            "a qualified name "
            + regex_error(_QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    errors = []
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend("prefix part " + msg for msg in dns1123_subdomain_errors(prefix))
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > QUALIFIED_NAME_MAX_LENGTH:
        errors.append("name part " + max_len_error(QUALIFIED_NAME_MAX_LENGTH))
    if not _QUALIFIED_NAME.fullmatch(name):
        errors.append(
            "name part "
            + regex_error(_QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return errors


def label_value_errors(value: str) -> list[str]:
    errors = []
    if len(value) > LABEL_VALUE_MAX_LENGTH:
        errors.append(max_len_error(LABEL_VALUE_MAX_LENGTH))
    if not _LABEL_VALUE.fullmatch(value):
        errors.append(
            regex_error(_LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345")
        )
    return errors


# --- the same rules as field errors -------------------------------------------


def validate_name(value: str, field: str, rule: NameValidator) -> list[FieldError]:
    return [invalid(field, value, reason) for reason in rule(value)]


def validate_dns1123_label(value: str, field: str) -> list[FieldError]:
    return validate_name(value, field, dns1123_label_errors)


def validate_dns1123_subdomain(value: str, field: str) -> list[FieldError]:
    return validate_name(value, field, dns1123_subdomain_errors)


def validate_qualified_name(value: str, field: str) -> list[FieldError]:
    return validate_name(value, field, qualified_name_errors)


def validate_labels(labels: object, field: str) -> list[FieldError]:
    """Label keys and values; also used for nodeSelector. Upstream's path has no key."""
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [invalid(field, labels, NOT_A_STRING_MAP)]
    errors = []
    for key, value in labels.items():
        errors += validate_qualified_name(key, field)
        if not isinstance(value, str):
            errors.append(invalid(f"{field}[{key}]", value, "must be a string"))  # ours
            continue
        errors += [invalid(field, value, reason) for reason in label_value_errors(value)]
    return errors


def validate_annotations(annotations: object, field: str) -> list[FieldError]:
    if annotations is None:
        return []
    if not isinstance(annotations, dict):
        return [invalid(field, annotations, NOT_A_STRING_MAP)]
    errors = []
    total_size = 0
    for key, value in annotations.items():
        # Annotation keys follow the label-key rule, except that case does not matter.
        errors += [invalid(field, key, reason) for reason in qualified_name_errors(key.lower())]
        if not isinstance(value, str):
            errors.append(invalid(f"{field}[{key}]", value, "must be a string"))  # ours
            continue
        total_size += len(key) + len(value)
    if total_size > TOTAL_ANNOTATION_SIZE_LIMIT:
        errors.append(too_long(field, TOTAL_ANNOTATION_SIZE_LIMIT))
    return errors


def too_long(field: str, limit: int) -> FieldError:
    return FieldError(ErrorType.TOO_LONG, field, detail=f"may not be more than {limit} bytes")


# --- metadata ------------------------------------------------------------------


def validate_object_meta(
    obj: dict, *, namespaced: bool, name_validator: NameValidator
) -> list[FieldError]:
    """ObjectMeta on create or update, after the API server filled name and namespace.

    The API server turns generateName into a name before validating, so only
    the name is checked, as upstream's ValidateObjectMetaAccessorWithOpts does.
    """
    meta = mapping(obj.get("metadata"))
    errors = _validate_object_name(meta.get("name"), name_validator)
    errors += _validate_object_namespace(meta.get("namespace"), namespaced)
    errors += validate_labels(meta.get("labels"), "metadata.labels")
    errors += validate_annotations(meta.get("annotations"), "metadata.annotations")
    errors += _validate_owner_references(meta.get("ownerReferences"))
    errors += validate_finalizers(meta.get("finalizers"), "metadata.finalizers", indexed=True)
    return errors


def _validate_object_name(name: object, name_validator: NameValidator) -> list[FieldError]:
    if not name:
        return [required("metadata.name", "name or generateName is required")]
    if not isinstance(name, str):
        return [invalid("metadata.name", name, "must be a string")]  # ours
    return validate_name(name, "metadata.name", name_validator)


def _validate_object_namespace(namespace: object, namespaced: bool) -> list[FieldError]:
    if not namespaced:
        # The API server clears it for cluster-scoped kinds; anything left is a bug.
        return [forbidden("metadata.namespace", "not allowed on this type")] if namespace else []
    if not namespace:
        return [required("metadata.namespace")]
    if not isinstance(namespace, str):
        return [invalid("metadata.namespace", namespace, "must be a string")]  # ours
    return validate_dns1123_label(namespace, "metadata.namespace")


def _validate_owner_references(references: object) -> list[FieldError]:
    field = "metadata.ownerReferences"
    errors = []
    for reference in sequence(references):
        reference = mapping(reference)
        api_version = reference.get("apiVersion") or ""
        if not isinstance(api_version, str) or not _version_of(api_version):
            errors.append(invalid(f"{field}.apiVersion", api_version, "version must not be empty"))
        for key in ("kind", "name", "uid"):
            if not reference.get(key):
                errors.append(invalid(f"{field}.{key}", "", "must not be empty"))
    return errors


def _version_of(api_version: str) -> str:
    """ "apps/v1" -> "v1", "v1" -> "v1"; "" for anything that is not a group/version."""
    parts = api_version.split("/")
    return parts[-1] if len(parts) <= 2 else ""


def validate_finalizers(finalizers: object, field: str, *, indexed: bool) -> list[FieldError]:
    """Qualified names; a name without a domain must be one of the standard three.

    Upstream reports the standard-name rule at `metadata.finalizers[i]` but at
    plain `spec.finalizers` for a namespace's spec, hence `indexed`.
    """
    errors = []
    for index, finalizer in enumerate(sequence(finalizers)):
        if not isinstance(finalizer, str):
            errors.append(invalid(f"{field}[{index}]", finalizer, "must be a string"))  # ours
            continue
        errors += validate_qualified_name(finalizer, field)
        if "/" not in finalizer and finalizer not in STANDARD_FINALIZERS:
            path = f"{field}[{index}]" if indexed else field
            errors.append(invalid(path, finalizer, NOT_A_STANDARD_FINALIZER))
    return errors


def validate_immutable_meta(obj: dict, old: dict) -> list[FieldError]:
    """What an update may not change in metadata (upstream's ValidateObjectMetaUpdate).

    Like upstream's BeforeUpdate, an update that leaves uid or creationTimestamp
    out keeps the stored ones, so only a different non-empty value is an error.
    """
    meta, old_meta = mapping(obj.get("metadata")), mapping(old.get("metadata"))
    errors = []
    for key in ("name", "namespace", "uid", "creationTimestamp"):
        new_value, old_value = meta.get(key) or "", old_meta.get(key) or ""
        may_be_omitted = key in ("uid", "creationTimestamp")
        if new_value != old_value and not (may_be_omitted and not new_value):
            errors.append(invalid(f"metadata.{key}", new_value, FIELD_IMMUTABLE))
    if old_meta.get("deletionTimestamp"):
        errors += _no_new_finalizers(meta.get("finalizers"), old_meta.get("finalizers"))
    return errors


def _no_new_finalizers(finalizers: object, old_finalizers: object) -> list[FieldError]:
    """An object being deleted may lose finalizers, never gain one (upstream's
    ValidateNoNewFinalizers, which prints the new ones as Go's %#v of a []string)."""
    added = sorted(
        {f for f in sequence(finalizers) if isinstance(f, str)}
        - {f for f in sequence(old_finalizers) if isinstance(f, str)}
    )
    if not added:
        return []
    found = "[]string{" + ", ".join(f'"{f}"' for f in added) + "}"
    return [
        forbidden(
            "metadata.finalizers",
            "no new finalizers can be added if the object is being deleted, found new"
            f" finalizers {found}",
        )
    ]


# --- quantities ------------------------------------------------------------------


def validate_resource_quantity(
    raw: object, field: str, *, integer: bool = False
) -> tuple[Decimal | None, list[FieldError]]:
    """Parse one quantity of a resource list; the value is None when it does not parse.

    Upstream rejects an unparsable quantity while decoding the request (a 400
    with the same regular-expression message); we report it as a field error
    so that it is listed with every other cause.
    """
    try:
        value = parse_quantity(raw)
    except InvalidQuantity:
        return None, [invalid(field, raw, QUANTITY_FORMAT_ERROR)]
    errors = []
    if value < 0:
        errors.append(invalid(field, format_quantity(raw), IS_NEGATIVE))
    if integer and value != value.to_integral_value():
        errors.append(invalid(field, format_quantity(raw), "must be an integer"))
    return value, errors


# --- JSON shape helpers ----------------------------------------------------------


def mapping(value: object) -> dict:
    """The value if it is a JSON object, else an empty one (its type is reported elsewhere)."""
    return value if isinstance(value, dict) else {}


def sequence(value: object) -> list:
    """The value if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def is_integer(value: object) -> bool:
    """A JSON integer: Python's bool is an int, but `true` is not a number."""
    return isinstance(value, int) and not isinstance(value, bool)


def child_mapping(parent: dict, key: str) -> dict | None:
    """For defaulting: parent[key], created when missing or null; None when it holds
    something else, which defaulting then leaves alone for validation to report."""
    if parent.get(key) is None:
        parent[key] = {}
    child = parent[key]
    return child if isinstance(child, dict) else None


def scalar_key(value: object) -> object:
    """The value as a set or dict key: a JSON array or object (which has no hash) by its
    text, so a duplicate check on a field of the wrong type reports, never raises."""
    return value if value is None or isinstance(value, str | int | float) else repr(value)


def text(value: object) -> str:
    """The value if it is a JSON string, else "" (string_type_errors reports the wrong type)."""
    return value if isinstance(value, str) else ""


def string_type_errors(obj: dict, keys: tuple[str, ...], path: str) -> list[FieldError]:
    """Ours: a number or object where the API wants a string (upstream: a decode error)."""
    return [
        invalid(f"{path}.{key}" if path else key, obj[key], "must be a string")
        for key in keys
        if obj.get(key) is not None and not isinstance(obj[key], str)
    ]
