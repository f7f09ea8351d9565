"""What every command of the box shares: the API server it calls as the user, the
namespace it works in, and kubectl's words for the API server's refusals and for YAML."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from cluster.apiserver import ApiError, ApiServer
from kubeapi.command_box.grammar import Invocation

DEFAULT_NAMESPACE = "default"
REAL_KUBECTL = "the real kubectl does (Download kubeconfig)"


@dataclass
class Context:
    api: ApiServer
    server_url: str  # where the real kubectl reaches this sandbox's API
    server_version: str

    @property
    def now(self) -> dt.datetime:
        return self.api.sandbox.now()


Handler = Callable[[Context, Invocation], str]


def namespace_of(invocation: Invocation) -> str:
    return str(invocation.flag("namespace") or DEFAULT_NAMESPACE)


class _GoYamlDumper(yaml.SafeDumper):
    """Quotes as Go's YAML encoder does: "double" where a plain scalar would be misread
    (a timestamp, "true", a number as text), never 'single'."""

    def choose_scalar_style(self):
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def as_yaml(document: object) -> str:
    """kubectl's YAML: keys sorted (it goes through JSON into a map), block style."""
    text = yaml.dump(document, Dumper=_GoYamlDumper, default_flow_style=False, sort_keys=True)
    return text.rstrip("\n")


def server_error(error: ApiError) -> str:
    """kubectl's words for a Status: `Error from server (NotFound): pods "x" not found`,
    and an Invalid one's causes each on a line."""
    details = error.details or {}
    causes = details.get("causes") or []
    if error.reason == "Invalid" and causes:
        head = f'The {details.get("kind", "")} "{details.get("name", "")}" is invalid: '
        lines = [f"{c.get('field', '')}: {c.get('message', '')}".lstrip(": ") for c in causes]
        if len(lines) == 1:
            return head + lines[0]
        return head + "\n" + "\n".join(f"* {line}" for line in lines)
    return f"Error from server ({error.reason}): {error.message}"
