"""Field errors worded as upstream's k8s.io/apimachinery/pkg/util/validation/field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum


class ErrorType(Enum):
    # value: (Status cause reason, message prefix)
    REQUIRED = ("FieldValueRequired", "Required value")
    INVALID = ("FieldValueInvalid", "Invalid value")
    NOT_SUPPORTED = ("FieldValueNotSupported", "Unsupported value")
    DUPLICATE = ("FieldValueDuplicate", "Duplicate value")
    FORBIDDEN = ("FieldValueForbidden", "Forbidden")
    TOO_LONG = ("FieldValueTooLong", "Too long")
    TOO_MANY = ("FieldValueTooMany", "Too many")
    NOT_FOUND = ("FieldValueNotFound", "Not found")

    @property
    def reason(self) -> str:
        return self.value[0]

    @property
    def label(self) -> str:
        return self.value[1]


_NO_VALUE = object()


@dataclass(frozen=True)
class GoValue:
    """A bad value as upstream prints a Go struct or map it reports raw (fmt's %#v):
    `map[string]string{"app":"web"}`, `v1.LabelSelector{...}`. See go_syntax.py."""

    text: str


@dataclass(frozen=True)
class FieldError:
    """One bad field. `body` is the text after "field: ", as kubectl prints it."""

    type: ErrorType
    field: str
    value: object = _NO_VALUE
    detail: str = ""

    @property
    def body(self) -> str:
        text = self.type.label
        if self.value is not _NO_VALUE and self.type in {
            ErrorType.INVALID,
            ErrorType.NOT_SUPPORTED,
            ErrorType.DUPLICATE,
            ErrorType.NOT_FOUND,
            ErrorType.TOO_MANY,
        }:
            text += f": {format_value(self.value)}"
        if self.detail:
            text += f": {self.detail}"
        return text

    @property
    def message(self) -> str:
        return f"{self.field}: {self.body}"

    def as_cause(self) -> dict:
        return {"reason": self.type.reason, "message": self.body, "field": self.field}


def format_value(value: object) -> str:
    if isinstance(value, GoValue):
        return value.text
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return "null"
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def required(field: str, detail: str = "") -> FieldError:
    return FieldError(ErrorType.REQUIRED, field, detail=detail)


def invalid(field: str, value: object, detail: str) -> FieldError:
    return FieldError(ErrorType.INVALID, field, value, detail)


def not_supported(field: str, value: object, supported: list[str]) -> FieldError:
    quoted = ", ".join(json.dumps(s) for s in supported)
    return FieldError(ErrorType.NOT_SUPPORTED, field, value, f"supported values: {quoted}")


def duplicate(field: str, value: object) -> FieldError:
    return FieldError(ErrorType.DUPLICATE, field, value)


def forbidden(field: str, detail: str) -> FieldError:
    return FieldError(ErrorType.FORBIDDEN, field, detail=detail)
