"""kubectl's command-line grammar, for the page's command box.

kubectl parses its arguments with cobra and pflag: a command path of words ("rollout
undo"), then flags anywhere among the arguments, `--name=value` or `--name value`,
shorthands `-n value`, `-nvalue` and `-n=value`, boolean shorthands run together
(`-Aw`), `--` ending the flags. This module follows those rules for the everyday
commands, and answers an unknown flag or a missing value in kubectl's own words.

It only parses: what a command does is kubeapi/command_box/commands.py's.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

BOOL, TEXT, INT, LIST = "bool", "text", "int", "list"


class UsageError(Exception):
    """A command kubectl would refuse before sending anything: said as kubectl says it."""


class NotInTheBox(Exception):
    """A command or flag real kubectl has that the command box does not serve."""


@dataclass(frozen=True)
class Flag:
    name: str
    kind: str = TEXT
    shorthand: str = ""
    default: object = None


@dataclass
class Invocation:
    """A parsed command line: `kubectl get pods web -n team` -> path ("get",),
    args ["pods", "web"], flags {"namespace": "team"}."""

    path: tuple[str, ...]
    args: list[str]
    flags: dict[str, object] = field(default_factory=dict)
    line: str = ""  # as typed, normalised: "kubectl get pods web -n team"

    def flag(self, name: str):
        return self.flags.get(name)

    @property
    def name(self) -> str:
        return " ".join(self.path)


# Flags every command takes (kubectl's global flags that make sense here).
GLOBAL_FLAGS = (Flag("namespace", TEXT, "n"), Flag("help", BOOL, "h"))

# Global flags of real kubectl that point it somewhere else or as someone else: the
# command box always talks to this sandbox, as the signed-in user.
ELSEWHERE_FLAGS = {
    "kubeconfig", "context", "cluster", "user", "server", "s", "token", "as", "as-group",
    "as-uid", "certificate-authority", "client-certificate", "client-key",
    "insecure-skip-tls-verify", "tls-server-name", "username", "password",
}  # fmt: skip

_SELECTOR = Flag("selector", TEXT, "l")
_ALL_NAMESPACES = Flag("all-namespaces", BOOL, "A")
_OUTPUT = Flag("output", TEXT, "o")
_OVERWRITE = Flag("overwrite", BOOL)
_DRY_RUN = Flag("dry-run", TEXT)

# The everyday commands: their path and flags. Flags real kubectl has that change
# nothing here (--wait, --ignore-daemonsets) are taken and ignored, as their effect
# is what the box does anyway.
COMMANDS: dict[tuple[str, ...], tuple[Flag, ...]] = {
    ("get",): (
        _OUTPUT, _SELECTOR, _ALL_NAMESPACES, Flag("field-selector"), Flag("show-labels", BOOL),
        Flag("no-headers", BOOL), Flag("watch", BOOL, "w"), Flag("label-columns", LIST, "L"),
    ),
    ("describe",): (_SELECTOR, _ALL_NAMESPACES),
    ("run",): (
        Flag("image"), Flag("restart"), Flag("labels", TEXT, "l"), Flag("port"),
        Flag("env", LIST), _DRY_RUN, Flag("stdin", BOOL, "i"), Flag("tty", BOOL, "t"),
        Flag("rm", BOOL), Flag("command", BOOL),
    ),
    ("create", "deployment"): (
        Flag("image", LIST), Flag("replicas", INT, "r", 1), Flag("port", INT), _DRY_RUN,
    ),
    ("create", "namespace"): (_DRY_RUN,),
    ("delete",): (
        _SELECTOR, Flag("all", BOOL), Flag("grace-period", INT, default=-1),
        Flag("force", BOOL), Flag("now", BOOL), Flag("wait", BOOL), _DRY_RUN,
        Flag("filename", TEXT, "f"),
    ),
    ("scale",): (Flag("replicas", INT, default=-1), Flag("current-replicas", INT, default=-1)),
    ("label",): (_OVERWRITE, Flag("list", BOOL)),
    ("annotate",): (_OVERWRITE, Flag("list", BOOL)),
    ("cordon",): (),
    ("uncordon",): (),
    ("drain",): (
        Flag("ignore-daemonsets", BOOL), Flag("force", BOOL), Flag("delete-emptydir-data", BOOL),
        Flag("grace-period", INT, default=-1),
    ),
    ("taint",): (_OVERWRITE,),
    ("set", "image"): (),
    ("rollout", "status"): (Flag("watch", BOOL, "w"),),
    ("rollout", "undo"): (Flag("to-revision", INT, default=0),),
    ("rollout", "restart"): (),
    ("rollout", "history"): (),
    ("logs",): (
        Flag("container", TEXT, "c"), Flag("tail", INT, default=-1), Flag("previous", BOOL, "p"),
        Flag("timestamps", BOOL), Flag("follow", BOOL, "f"),
    ),
    ("version",): (Flag("client", BOOL), _OUTPUT),
    ("cluster-info",): (),
    ("api-resources",): (Flag("namespaced", TEXT), _OUTPUT),
    ("help",): (),
}  # fmt: skip

# Commands (or their groups) the box leaves to the real kubectl, with why.
ELSEWHERE_COMMANDS = {
    "apply": "it reads files: use Create from YAML on this page, or the real kubectl",
    "create": "the box creates deployments and namespaces; for the rest use Create from YAML",
    "replace": "it reads files: use the real kubectl",
    "edit": "it opens an editor: use the real kubectl",
    "exec": "Podlab's containers are simulated: there is no process to run a command in",
    "attach": "Podlab's containers are simulated: there is no process to attach to",
    "cp": "Podlab's containers are simulated: they have no files",
    "port-forward": "Podlab's containers are simulated: they serve no traffic",
    "proxy": "use the real kubectl",
    "explain": "use the real kubectl: `kubectl explain pod.spec` reads this sandbox's schemas",
    "config": "the box has no kubeconfig: Download kubeconfig for the real kubectl",
    "auth": "use the real kubectl",
    "expose": "create the Service from YAML, or with the real kubectl",
    "patch": "use the real kubectl",
    "autoscale": "Podlab has no HorizontalPodAutoscaler",
    "top": "Podlab has no metrics server",
    "debug": "Podlab's containers are simulated",
    "wait": "the diagram shows the changes as they come; the real kubectl can wait",
}

GROUPS = {"create", "set", "rollout"}


def parse(line: str) -> Invocation:
    """Parse a command line, with or without its leading `kubectl`."""
    try:
        words = shlex.split(line)
    except ValueError as error:  # an unclosed quote
        raise UsageError(f"error: {error}") from error
    if words and words[0] == "kubectl":
        words = words[1:]
    if not words:
        raise UsageError("error: type a kubectl command, for example: kubectl get pods")
    path, rest = _command_path(words)
    flags, args = _parse_flags(path, rest)
    return Invocation(path, args, flags, "kubectl " + shlex.join(words))


def _command_path(words: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """The command words (flags may come before a group's subcommand, as cobra allows
    only for global flags; kubectl users put them after)."""
    first = words[0]
    if first.startswith("-"):
        raise UsageError(f"error: {first} comes after a command here: kubectl get pods {first} ...")
    if first in GROUPS:
        second = words[1] if len(words) > 1 else ""
        if (first, second) in COMMANDS:
            return (first, second), words[2:]
        if first in ELSEWHERE_COMMANDS and not second.startswith("-"):
            raise NotInTheBox(f"kubectl {first} {second}: {ELSEWHERE_COMMANDS[first]}".strip())
        known = sorted(sub for group, sub in (p for p in COMMANDS if len(p) == 2) if group == first)
        raise UsageError(
            f'error: kubectl {first} needs one of: {", ".join(known)} (as in "kubectl {first}'
            f' {known[0]} ...")'
        )
    if (first,) in COMMANDS:
        return (first,), words[1:]
    if first in ELSEWHERE_COMMANDS:
        raise NotInTheBox(f"kubectl {first}: {ELSEWHERE_COMMANDS[first]}")
    raise UsageError(f'error: unknown command "{first}" for "kubectl"')


def _parse_flags(path: tuple[str, ...], words: list[str]) -> tuple[dict[str, object], list[str]]:
    flags_of = {flag.name: flag for flag in (*GLOBAL_FLAGS, *COMMANDS[path])}
    by_shorthand = {flag.shorthand: flag for flag in flags_of.values() if flag.shorthand}
    values: dict[str, object] = {
        flag.name: ([] if flag.kind == LIST else flag.default)
        for flag in flags_of.values()
        if flag.default is not None or flag.kind == LIST
    }
    args: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word == "--":
            args += words[index:]
            break
        if word.startswith("--"):
            name, has_value, value = word[2:].partition("=")
            flag = flags_of.get(name)
            if flag is None:
                _unknown(name, f"unknown flag: --{name}")
            if flag.kind != BOOL and not has_value:
                if index >= len(words):
                    raise UsageError(f"error: flag needs an argument: --{name}")
                value, index = words[index], index + 1
            _set(values, flag, value if (has_value or flag.kind != BOOL) else "true", word)
        elif word.startswith("-") and len(word) > 1 and not _is_number(word):
            index = _shorthands(word, words, index, by_shorthand, values)
        else:
            args.append(word)
    return values, args


def _shorthands(word, words, index, by_shorthand, values) -> int:
    """-A, -Aw, -n team, -nteam, -n=team: pflag's shorthand rules."""
    letters = word[1:]
    position = 0
    while position < len(letters):
        letter = letters[position]
        flag = by_shorthand.get(letter)
        if flag is None:
            _unknown(letter, f"unknown shorthand flag: '{letter}' in {word}")
        rest = letters[position + 1 :]
        if flag.kind == BOOL:
            if rest.startswith("="):
                _set(values, flag, rest[1:], word)
                return index
            _set(values, flag, "true", word)
            position += 1
            continue
        if rest:
            _set(values, flag, rest.removeprefix("="), word)
            return index
        if index >= len(words):
            raise UsageError(f"error: flag needs an argument: '{letter}' in -{letter}")
        _set(values, flag, words[index], word)
        return index + 1
    return index


def _set(values: dict[str, object], flag: Flag, text: str, word: str) -> None:
    if flag.kind == BOOL:
        if text not in ("true", "false", "1", "0", "t", "f", "TRUE", "FALSE", "True", "False"):
            raise UsageError(
                f'error: invalid argument "{text}" for "{word.split("=")[0]}" flag:'
                f' strconv.ParseBool: parsing "{text}": invalid syntax'
            )
        values[flag.name] = text in ("true", "1", "t", "TRUE", "True")
    elif flag.kind == INT:
        if not _is_number(text):
            raise UsageError(
                f'error: invalid argument "{text}" for "--{flag.name}" flag:'
                f' strconv.ParseInt: parsing "{text}": invalid syntax'
            )
        values[flag.name] = int(text)
    elif flag.kind == LIST:
        # pflag's StringSlice: repeated flags add up, and one may hold a comma list.
        values.setdefault(flag.name, [])
        values[flag.name] = [*values[flag.name], *text.split(",")]  # type: ignore[misc]
    else:
        values[flag.name] = text


def _unknown(name: str, message: str):
    if name in ELSEWHERE_FLAGS:
        raise NotInTheBox(
            f"--{name}: the command box always talks to this sandbox as you;"
            " the real kubectl takes it (Download kubeconfig)"
        )
    raise UsageError(f"error: {message}")


def _is_number(text: str) -> bool:
    return text.lstrip("-").isdigit()
