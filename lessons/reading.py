"""Reading a lesson's YAML text: its data, and the line each field was written on.

A lesson is written by hand, so every problem found in it must point at its line.
PyYAML's composer keeps each node's position; the data is constructed from the same
node tree, and a map from each field's path to its line is taken from it on the way.
The text goes through the editor's limits first (sandbox/manifest_yaml.py): a lesson
uploaded to a shared server is as untrusted as a manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from sandbox.manifest_yaml import YamlRefused, load_documents

# A field's path from the document's root: keys and list indexes, ("steps", 3, "act").
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class LessonProblem:
    """One thing wrong in a lesson, where it is (1-based line and column; None when the
    problem is the file's as a whole) and in which field."""

    line: int | None
    column: int | None
    field: str  # steps[3].wait_for.timeout; "" for the whole document
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.field}: {self.message}" if self.field else f"{where}{self.message}"


@dataclass
class LessonInvalid(Exception):
    problems: list[LessonProblem]

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


@dataclass
class Positions:
    """Where each field of the document was written."""

    _at: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def of(self, path: Path) -> tuple[int | None, int | None]:
        """The line and column of the field, or of its nearest parent that was written
        (a missing field is reported at the object that misses it)."""
        path = tuple(path)
        while path not in self._at and path:
            path = path[:-1]
        return self._at.get(path, (None, None))


def field_name(path: Path) -> str:
    """steps[3].wait_for.timeout, as kubectl names a field."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def read_document(text: str) -> tuple[object, Positions]:
    """The document's data and its fields' positions. Raises LessonInvalid for text that
    is not one YAML document, is past the limits, or repeats a key in a mapping."""
    try:
        documents = load_documents(text)
    except YamlRefused as refused:
        message = str(refused)
        if not message.startswith(("Request entity too large", "yaml:", "more than")):
            message = f"not valid YAML: {message}"
        raise LessonInvalid([LessonProblem(refused.line, refused.column, "", message)]) from None
    if len(documents) != 1:
        found = "no document" if not documents else f"{len(documents)} documents"
        raise LessonInvalid(
            [LessonProblem(1, 1, "", f"a lesson is one YAML document: found {found}")]
        )
    node, data = documents[0]
    positions = Positions()
    duplicates: list[LessonProblem] = []
    _walk(node, (), positions, duplicates)
    if duplicates:
        raise LessonInvalid(duplicates)
    return data, positions


def _walk(node: yaml.Node, path: Path, positions: Positions, problems: list[LessonProblem]):
    positions._at.setdefault(path, _position(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                line, column = _position(key_node)
                problems.append(
                    LessonProblem(line, column, field_name((*path, key)), "written twice")
                )
            seen.add(key)
            positions._at[(*path, key)] = _position(key_node)
            _walk(value_node, (*path, key), positions, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), positions, problems)


def _position(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1
