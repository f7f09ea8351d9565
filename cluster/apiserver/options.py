"""A write's options (upstream's CreateOptions, UpdateOptions, PatchOptions and
DeleteOptions): dryRun, fieldManager and force, checked as upstream's
ValidateCreateOptions, ValidatePatchOptions... check them, once the call is authorized,
and answer 422 Invalid naming the options' kind."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cluster.apiserver import errors
from cluster.apiserver.results import Outcome
from cluster.apiserver.tracing import Request, Stages
from cluster.resources.field_errors import (
    ErrorType,
    FieldError,
    GoValue,
    forbidden,
    invalid,
    not_supported,
    required,
)
from cluster.resources.go_syntax import string_slice

DRY_RUN_ALL = "All"  # metav1.DryRunAll, the one value dryRun takes
APPLY = "apply"  # the patch type of a server-side apply
FIELD_MANAGER_MAX_LENGTH = 128

CREATE, UPDATE, PATCH, DELETE = "CreateOptions", "UpdateOptions", "PatchOptions", "DeleteOptions"


@dataclass(frozen=True)
class WriteOptions:
    """dry_run: dryRun as sent (["All"] for a dry run; upstream's []string). force: None
    when not sent (only a server-side apply may send it)."""

    dry_run: Sequence[str] = ()
    field_manager: str = ""
    force: bool | None = None

    @property
    def is_dry_run(self) -> bool:
        """As upstream's dryrun.IsDryRun: any value (an unsupported one is refused first)."""
        return bool(self.dry_run)


def problems(kind: str, options: WriteOptions, *, patch_type: str = "") -> list[FieldError]:
    found: list[FieldError] = []
    if kind == PATCH and patch_type != APPLY and options.force is not None:
        found.append(forbidden("force", "may not be specified for non-apply patch"))
    if kind == PATCH and patch_type == APPLY and not options.field_manager:
        found.append(required("fieldManager", "is required for apply patch"))
    if kind != DELETE:
        found += _field_manager_problems(options.field_manager)
    if any(value != DRY_RUN_ALL for value in options.dry_run):
        found.append(
            not_supported("dryRun", GoValue(string_slice(list(options.dry_run))), [DRY_RUN_ALL])
        )
    return found


def checked(
    kind: str,
    options: WriteOptions,
    handler: Callable[[Request, Stages], Outcome],
    *,
    patch_type: str = "",
) -> Callable[[Request, Stages], Outcome]:
    """The handler, after the options are checked (422 Invalid if they fail); the request
    is a dry run if they say so."""

    def handle(request: Request, stages: Stages) -> Outcome:
        if found := problems(kind, options, patch_type=patch_type):
            raise errors.invalid_options(kind, found)
        request.dry_run = options.is_dry_run
        return handler(request, stages)

    return handle


def _field_manager_problems(manager: str) -> list[FieldError]:
    """Upstream's ValidateFieldManager: at most 128 bytes, printable characters only."""
    found = []
    if len(manager.encode()) > FIELD_MANAGER_MAX_LENGTH:
        found.append(
            FieldError(
                ErrorType.TOO_LONG,
                "fieldManager",
                detail=f"must have at most {FIELD_MANAGER_MAX_LENGTH} bytes",
            )
        )
    position = 0  # in bytes, as Go ranges over a string
    for character in manager:
        if not character.isprintable():
            detail = f"invalid character U+{ord(character):04X} (at position {position})"
            found.append(invalid("fieldManager", manager, detail))
        position += len(character.encode())
    return found
