"""Checking a lesson: against its published JSON Schema first, then for what a schema
cannot say (ids used twice, a node the cluster does not have, an answer past the
choices). Every problem names its line and its field, in words an instructor who has
never read a JSON Schema understands."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path as FilePath

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

from cluster.components.controllers import CONTROLLERS
from cluster.resources import RESOURCES
from cluster.topology import SHAPES
from kubeapi.command_box.expectations import NoCallToExpect, expected_call
from kubeapi.command_box.grammar import NotInTheBox, UsageError
from lessons.reading import (
    LessonInvalid,
    LessonProblem,
    Path,
    Positions,
    field_name,
    read_document,
)

SCHEMA_FILE = FilePath(__file__).parent / "schema" / "lesson-v1.json"
SCHEMA: dict = json.loads(SCHEMA_FILE.read_text())
DEFS: dict[str, dict] = SCHEMA["$defs"]
VALIDATOR = Draft202012Validator(SCHEMA)

STEP_KINDS = (
    "narrate",
    "act",
    "do",
    "kubectl",
    "wait_for",
    "ask",
    "checkpoint",
    "pause_for_instructor",
)
# What the definitions that are one of a few keys are called in the problems found.
CALLED = {"step": "a step", "act": "an act", "condition": "a condition", "ask": "a question"}
NAME_RULE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-',"
    " and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')"
)
PATTERN_RULES = {
    "name": NAME_RULE,
    "resource": "must be a resource's plural name, as kubectl names it: pods, nodes, deployments",
    "part": (
        "must be a part of the diagram: user, kube-apiserver, etcd, scheduler,"
        " controller-manager, or node/NAME, kubelet/NAME, runtime/NAME, kube-proxy/NAME"
    ),
    "component": "must be scheduler, controller-manager, node/NAME or kubelet/NAME",
}
# The keys a patternProperties pattern allows, as a problem names them.
PATTERN_KEYS = {"^controller-manager/[a-z]+$": "controller-manager/<controller>"}
TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (key: value lines)",
    "array": "a list (lines starting with -)",
    "null": "empty",
}


def schema_problems(data: object, positions: Positions) -> list[LessonProblem]:
    """What the JSON Schema finds, one problem per field, in the order of the file."""
    problems = {
        (problem.line, problem.field, problem.message): problem
        for error in VALIDATOR.iter_errors(data)
        for problem in _explained(error, positions)
    }
    return sorted(problems.values(), key=lambda p: (p.line or 0, p.column or 0, p.field))


def _explained(error: ValidationError, positions: Positions) -> Iterator[LessonProblem]:
    path: Path = tuple(error.absolute_path)
    instance, schema = error.instance, error.schema
    definition = _definition_of(schema)
    if error.validator == "additionalProperties":
        allowed = [*schema.get("properties", {})]
        patterns = schema.get("patternProperties", {})
        allowed += [PATTERN_KEYS.get(pattern, pattern) for pattern in patterns]
        for key in instance:
            if key not in allowed and not any(re.search(pattern, key) for pattern in patterns):
                yield _problem(
                    positions,
                    (*path, key),
                    f'unknown field "{key}"; allowed here: {", ".join(allowed)}',
                )
        return
    if error.validator == "required":
        for key in error.validator_value:
            if key not in instance:
                yield _problem(positions, path, f'missing required field "{key}"')
        return
    if kinds := _one_of_keys(error, definition):
        what = CALLED.get(definition or "") or f'"{path[-1]}"'
        found = [key for key in instance if key in kinds]
        if len(found) > 1:
            message = f"{what} has one of {', '.join(kinds)}: this one has {' and '.join(found)}"
        elif not found:
            message = f"{what} needs one of: {', '.join(kinds)}"
        else:  # the one it has is wrong: say why
            yield from _explained(best_match(error.context), positions) if error.context else ()
            return
        yield _problem(positions, path, message)
        return
    if error.context:  # oneOf or anyOf elsewhere: the branch that came closest says why
        yield from _explained(best_match(error.context), positions)
        return
    if error.validator == "not" and list(error.validator_value) == ["required"]:
        both = error.validator_value["required"]
        yield _problem(positions, path, f"has {' and '.join(both)}: give only one of them")
        return
    if error.validator == "propertyNames":
        return  # its own error follows, for the name itself
    yield _problem(positions, path, _message(error, definition))


def _one_of_keys(error: ValidationError, definition: str | None) -> tuple[str, ...]:
    """The keys of which the instance must have exactly one, if that is what failed."""
    branches = error.validator_value
    if error.validator == "oneOf" and all(list(b) == ["required"] for b in branches):
        return tuple(key for branch in branches for key in branch["required"])
    if error.validator in ("minProperties", "maxProperties") and definition in ("act", "condition"):
        return tuple(error.schema["properties"])
    return ()


def _message(error: ValidationError, definition: str | None) -> str:
    instance, value = error.instance, error.validator_value
    shown = json.dumps(instance)
    if isinstance(instance, dict | list):
        shown = "a mapping" if isinstance(instance, dict) else "a list"
    match error.validator:
        case "type":
            wanted = " or ".join(
                TYPE_NAMES[t] for t in ([value] if isinstance(value, str) else value)
            )
            if "string" in wanted and isinstance(instance, dict) and len(instance) == 1:
                # `- Waiting: the scheduler tries again` is YAML for a mapping.
                return f'must be {wanted}, not a mapping: text with ": " in it needs quotes'
            return f"must be {wanted}, not {shown}"
        case "const":
            return f"must be {json.dumps(value)}, not {shown}"
        case "enum":
            return f"must be one of {', '.join(json.dumps(v) for v in value)}, not {shown}"
        case "pattern":
            if error.relative_schema_path and "propertyNames" in error.relative_schema_path:
                return f"{shown} is not a field path like spec.containers[0].image"
            return f"{shown}: {PATTERN_RULES.get(definition or '', 'must match ' + value)}"
        case "minimum" | "exclusiveMinimum" | "maximum" | "exclusiveMaximum":
            bound = {
                "minimum": "at least",
                "exclusiveMinimum": "more than",
                "maximum": "at most",
                "exclusiveMaximum": "less than",
            }[error.validator]
            return f"must be {bound} {value}, not {shown}"
        case "minItems":
            return f"needs at least {value} item{'s' if value != 1 else ''}"
        case "maxItems":
            return f"may have at most {value} items"
        case "minLength":
            return "must not be empty"
        case "maxLength":
            return f"may be at most {value} characters long"
    return error.message


def _definition_of(schema: dict) -> str | None:
    """The name of the $defs entry a subschema is, if it is one."""
    return next((name for name, definition in DEFS.items() if definition is schema), None)


def _problem(positions: Positions, path: Path, message: str) -> LessonProblem:
    line, column = positions.of(path)
    return LessonProblem(line, column, field_name(path), message)


# -- what the schema cannot say ------------------------------------------------------------

KINDS = {
    (rt.kind, f"{rt.group}/{rt.version}" if rt.group else rt.version) for rt in RESOURCES.values()
}


def meaning_problems(lesson: dict, positions: Positions) -> list[LessonProblem]:
    """Checks across fields, on a lesson the schema has passed."""
    found: list[LessonProblem] = []

    def say(path: Path, message: str) -> None:
        found.append(_problem(positions, path, message))

    cluster = lesson.get("cluster") or {}
    nodes = node_names(cluster)
    _check_intervals(cluster, say)
    seen_nodes: set[str] = set()
    for index, node in enumerate((lesson.get("cluster") or {}).get("nodes") or []):
        if node["name"] in seen_nodes:
            say(("cluster", "nodes", index, "name"), f'node "{node["name"]}" is listed twice')
        seen_nodes.add(node["name"])
    seen_objects: set[tuple] = set()
    for index, manifest in enumerate((lesson.get("cluster") or {}).get("objects") or []):
        path = ("cluster", "objects", index)
        _check_manifest(manifest, path, say)
        identity = (
            manifest["kind"],
            manifest["metadata"].get("namespace"),
            manifest["metadata"]["name"],
        )
        if identity in seen_objects:
            say((*path, "metadata", "name"), f"{manifest['kind']} {identity[2]!r} is created twice")
        seen_objects.add(identity)
    seen_ids: dict[str, int] = {}
    for index, step in enumerate(lesson["steps"]):
        path = ("steps", index)
        if "id" in step:
            if step["id"] in seen_ids:
                say((*path, "id"), f'id "{step["id"]}" is also step {seen_ids[step["id"]] + 1}\'s')
            seen_ids.setdefault(step["id"], index)
        for part_index, part in enumerate(step.get("highlight") or []):
            _check_node_reference(part, (*path, "highlight", part_index), nodes, say)
        for kind in STEP_KINDS:
            if kind in step:
                _check_step(kind, step[kind], (*path, kind), nodes, say)
    return found


def _check_intervals(cluster: dict, say) -> None:
    intervals = cluster.get("intervals")
    if not intervals:
        return
    if cluster.get("mode") != "poll":
        say(
            ("cluster", "intervals"),
            "intervals are poll mode's periods: set mode: poll (in watch mode, changes wake"
            " the components)",
        )
    for name in intervals:
        controller = name.partition("/")[2]
        if controller and controller not in CONTROLLERS:
            say(
                ("cluster", "intervals", name),
                f'no controller "{controller}" in the controller manager:'
                f" {', '.join(sorted(CONTROLLERS))}",
            )


def node_names(cluster: dict) -> list[str]:
    """The nodes the lesson's cluster starts with."""
    if cluster.get("nodes"):
        return [node["name"] for node in cluster["nodes"]]
    return [node.name for node in SHAPES[cluster.get("shape", "lesson")].nodes]


def _check_step(kind: str, body, path: Path, nodes: list[str], say) -> None:
    if kind == "act":
        _check_act(body, path, nodes, say)
    elif kind == "do":
        _check_resource(body["expect"]["resource"], (*path, "expect", "resource"), say)
        if "autoplay" in body:
            _check_act(body["autoplay"], (*path, "autoplay"), nodes, say)
    elif kind == "kubectl":
        _check_kubectl(body["command"], (*path, "command"), say)
    elif kind == "wait_for":
        _check_condition(body["condition"], (*path, "condition"), say)
    elif kind == "checkpoint":
        for index, check in enumerate(body["checks"]):
            _check_condition(check["condition"], (*path, "checks", index, "condition"), say)
    elif kind == "ask" and "choices" in body and body.get("answer", 0) >= len(body["choices"]):
        say(
            (*path, "answer"),
            f"there are {len(body['choices'])} choices, counted from 0:"
            f" the answer must be at most {len(body['choices']) - 1}",
        )


def _check_kubectl(command: str, path: Path, say) -> None:
    """The command must be one the command box runs, and make a call the step can wait
    for: the student may type it there, and the run knows when it has reached the API."""
    try:
        expected_call(command)
    except (UsageError, NotInTheBox, NoCallToExpect) as problem:
        say(path, f"{command}: {problem}")


def _check_act(act: dict, path: Path, nodes: list[str], say) -> None:
    [(verb, target)] = act.items()
    where = (*path, verb)
    if verb == "apply":
        _check_manifest(target, where, say)
    elif verb == "delete":
        _check_resource(target["resource"], (*where, "resource"), say)
    elif verb in ("stop", "restore"):
        _check_node_reference(target, where, nodes, say)
    elif verb in ("cordon", "uncordon", "drain"):
        _check_node(target, where, nodes, say)
    elif verb in ("taint", "untaint"):
        _check_node(target["node"], (*where, "node"), nodes, say)


def _check_condition(condition: dict, path: Path, say) -> None:
    [(kind, body)] = condition.items()
    where = (*path, kind)
    if kind == "all":
        for index, each in enumerate(body):
            _check_condition(each, (*where, index), say)
    elif kind in ("object", "objects"):
        _check_resource(body["resource"], (*where, "resource"), say)
        count = body.get("count")
        if isinstance(count, dict) and count.get("min", 0) > count.get("max", count.get("min", 0)):
            say((*where, "count"), "min is more than max")
    elif kind == "trace" and "resource" in body:
        _check_resource(body["resource"], (*where, "resource"), say)


def _check_resource(resource: str, path: Path, say) -> None:
    if resource not in RESOURCES:
        say(path, f'"{resource}" is not a resource Podlab serves: {", ".join(sorted(RESOURCES))}')


def _check_manifest(manifest: dict, path: Path, say) -> None:
    if (manifest["kind"], manifest["apiVersion"]) not in KINDS:
        kinds = ", ".join(sorted(f"{version} {kind}" for kind, version in KINDS))
        say(
            (*path, "kind"),
            f"{manifest['apiVersion']} {manifest['kind']} is not a kind Podlab serves: {kinds}",
        )


def _check_node_reference(part: str, path: Path, nodes: list[str], say) -> None:
    _, slash, name = part.partition("/")
    if slash:
        _check_node(name, path, nodes, say)


def _check_node(name: str, path: Path, nodes: list[str], say) -> None:
    if name not in nodes:
        say(path, f'no node "{name}" in the lesson\'s cluster ({", ".join(nodes)})')


def validate(text: str) -> dict:
    """The lesson's data, checked; raises LessonInvalid with every problem found."""
    data, positions = read_document(text)
    if problems := schema_problems(data, positions):
        raise LessonInvalid(problems)
    if problems := meaning_problems(data, positions):
        raise LessonInvalid(problems)
    return data
