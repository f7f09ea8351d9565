"""The API call a kubectl command makes, for a lesson's `kubectl` step: the step is done
when that call, sent by kubectl or the command box, reaches the API server.

Only the call that does what the command is for counts (kubectl's reads before it,
its discovery, are not): `kubectl scale deploy web --replicas=3` is done by its patch of
deployments/web/scale, `kubectl get pods` by its list of pods.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubeapi.command_box.grammar import Invocation, UsageError, parse
from kubeapi.command_box.targets import resource_type, targets

# Commands whose call is a read: kubectl may make it as either verb (`rollout status`
# watches, the box gets).
READS = ("get", "list", "watch")


@dataclass(frozen=True)
class ExpectedCall:
    verbs: tuple[str, ...]
    resource: str
    subresource: str = ""
    name: str = ""  # "" for any (a list, a delete by label)
    namespace: str = ""  # "" for a resource of no namespace

    def describe(self) -> str:
        what = "/".join(filter(None, [self.resource, self.name, self.subresource]))
        return f"a {' or '.join(self.verbs)} of {what}"


class NoCallToExpect(ValueError):
    """A command whose call a lesson cannot wait for (its effect is no traced call)."""


def expected_call(command: str) -> ExpectedCall:
    """Raises UsageError (kubectl would refuse it), NotInTheBox, or NoCallToExpect."""
    invocation = parse(command)
    namespace = str(invocation.flag("namespace") or "default")
    path, args = invocation.path, invocation.args
    if path in (("version",), ("cluster-info",), ("api-resources",), ("help",)):
        raise NoCallToExpect(
            f"kubectl {invocation.name} reads discovery, which the API server does not trace:"
            " ask for a command that reads or changes objects"
        )
    if path in (("run",), ("create", "deployment")) and not invocation.flag("image"):
        raise UsageError('error: required flag(s) "image" not set')
    if path == ("run",):
        return _call(("create",), "pods", _first(args, invocation), namespace)
    if path[0] == "create":
        return _call(("create",), f"{path[1]}s", _first(args, invocation), namespace)
    if path in (("cordon",), ("uncordon",), ("drain",)):
        return _call(("patch",), "nodes", _first(args, invocation).removeprefix("node/"), "")
    if path == ("logs",):
        return _call(("get",), "pods", _first(args, invocation), namespace, "log")
    found, _ = targets(args)
    if not found:
        raise UsageError(f"error: kubectl {invocation.name} needs a resource")
    target = found[0]
    name = target.names[0] if target.names else ""
    rt = target.rt
    if path in (("get",), ("describe",)):
        verbs = ("get",) if name else ("list",)
        if invocation.flag("all-namespaces"):
            namespace = ""
        return _call(verbs, rt.name, name, namespace if rt.namespaced else "")
    if path == ("delete",):
        return _call(("delete",), rt.name, name, namespace if rt.namespaced else "")
    if path == ("scale",):
        return _call(("patch",), rt.name, name, namespace, "scale")
    if path in (("rollout", "status"), ("rollout", "history")):
        return _call(READS, rt.name, name if path[1] == "status" else "", namespace)
    # label, annotate, taint, set image, rollout undo and restart: a patch of the object.
    return _call(("patch",), rt.name, name, namespace if rt.namespaced else "")


def _call(verbs, resource, name, namespace, subresource="") -> ExpectedCall:
    rt = resource_type(resource)
    return ExpectedCall(
        tuple(verbs), rt.name, subresource, name, namespace if rt.namespaced else ""
    )


def _first(args: list[str], invocation: Invocation) -> str:
    if not args:
        raise UsageError(f"error: kubectl {invocation.name} needs a NAME")
    return args[0]
