"""Resource arguments as kubectl reads them: `pods`, `po web db`, `pod/web`,
`deployments.apps/web`, `pods,services`; and the names kubectl prints objects by."""

from __future__ import annotations

from dataclasses import dataclass, field

from cluster.resources import RESOURCES, ResourceType
from kubeapi.command_box.grammar import UsageError

# What `kubectl get all` lists (upstream's "all" category, as far as Podlab serves it).
ALL_CATEGORY = ("pods", "services", "deployments", "replicasets", "replicationcontrollers")


@dataclass
class Target:
    rt: ResourceType
    names: list[str] = field(default_factory=list)


def resource_type(word: str) -> ResourceType:
    """A resource by any name kubectl accepts: plural, singular, short name, kind, with
    or without its group ("deployments.apps", "deploy")."""
    lowered = word.lower()
    name, _, group = lowered.partition(".")
    for rt in RESOURCES.values():
        if group and group != rt.group:
            continue
        if name in (rt.name, rt.singular, rt.kind.lower(), *rt.short_names):
            return rt
    raise UsageError(f'error: the server doesn\'t have a resource type "{word}"')


def targets(args: list[str]) -> tuple[list[Target], list[str]]:
    """The targets at the head of args, and the args after them (a label command's
    key=value words). `TYPE NAME...` or `TYPE/NAME...`, as kubectl's builder takes them."""
    if not args:
        return [], []
    if "/" in args[0]:
        found: list[Target] = []
        index = 0
        while index < len(args) and "/" in args[index]:
            type_word, _, name = args[index].partition("/")
            if not name:
                raise UsageError(
                    "error: arguments in resource/name form must have a single resource and name"
                )
            rt = resource_type(type_word)
            same = next((t for t in found if t.rt is rt), None)
            (same.names.append(name) if same else found.append(Target(rt, [name])))
            index += 1
        return found, args[index:]
    words = args[0].split(",")
    kinds = [
        resource_type(word)
        for word in (w for part in words for w in (ALL_CATEGORY if part == "all" else (part,)))
        if word
    ]
    if not kinds:
        raise UsageError("error: a resource type is required")
    rest = args[1:]
    names = []
    while rest and not _is_change(rest[0]):
        names.append(rest.pop(0))
    if names and len(kinds) > 1:
        raise UsageError("error: you may only specify a single resource type when naming objects")
    return [Target(rt, list(names)) for rt in kinds], rest


def _is_change(word: str) -> bool:
    """key=value or key- (label, annotate, taint, set image arguments)."""
    return "=" in word or word.endswith("-") or ":" in word


def kind_word(rt: ResourceType) -> str:
    """How kubectl names a kind before "/": "pod", "deployment.apps"."""
    return f"{rt.kind.lower()}.{rt.group}" if rt.group else rt.kind.lower()


def object_name(rt: ResourceType, name: str) -> str:
    """ "pod/web", "deployment.apps/web": as `-o name` and the write commands print it."""
    return f"{kind_word(rt)}/{name}"
