"""Reading the YAML editor's text into manifests, with the limits a shared server needs.

YAML can say in a few lines what takes gigabytes to hold: aliases that refer to
aliases ("billion laughs"), or brackets nested thousands deep, which a recursive
reader follows until Python's stack runs out. kubectl's YAML reader (go-yaml) refuses
both ("document contains excessive aliasing", "exceeded max depth"); so does this one,
from the parser's events alone, before any node or object is built: the answer is fast
and memory stays flat whatever the text holds.

Values come out as JSON values, as kubectl sends them: a date stays the string it was
written as (kubectl's YAML-to-JSON keeps `2026-12-06` a string).
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

# Upstream's limit on a request body (kube-apiserver's MaxRequestBodyBytes).
MAX_TEXT_BYTES = 3 * 1024 * 1024
# Ours: no manifest nests deeper; the API server refuses deeper bodies too.
MAX_DEPTH = 100
# Ours: nodes one document may hold once its aliases are expanded (each alias counts
# as the whole node it repeats). A real manifest has hundreds.
MAX_EXPANDED_NODES = 100_000
# Ours: documents one text may create, each an API call of its own.
MAX_DOCUMENTS = 100

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class ManifestLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader, with dates left as the strings they were written as."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }


@dataclass
class YamlRefused(Exception):
    """The text is not YAML, or is YAML past a limit. line and column are 1-based."""

    problem: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return self.problem


@dataclass
class _Open:
    """A mapping or sequence the parser is inside of."""

    anchor: str | None
    nodes: int = 1  # itself, plus every node under it with aliases expanded


def check_limits(text: str) -> None:
    """Raise YamlRefused if the text is too long, nested too deep, aliased too much or
    has too many documents; read from the parser's events, building nothing."""
    if len(text) > MAX_TEXT_BYTES or len(text.encode()) > MAX_TEXT_BYTES:
        raise YamlRefused(f"Request entity too large: limit is {MAX_TEXT_BYTES}")
    open_nodes: list[_Open] = []
    anchored: dict[str, int] = {}  # anchor -> expanded size of its node
    documents = 0
    try:
        for event in yaml.parse(text, Loader=ManifestLoader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                anchored.clear()  # anchors do not cross documents
                if documents > MAX_DOCUMENTS:
                    raise _refused(f"more than {MAX_DOCUMENTS} documents", event)
            elif isinstance(event, yaml.CollectionStartEvent):
                if len(open_nodes) >= MAX_DEPTH:
                    raise _refused(f"yaml: exceeded max depth of {MAX_DEPTH}", event)
                open_nodes.append(_Open(event.anchor))
            elif isinstance(event, yaml.CollectionEndEvent):
                closed = open_nodes.pop()
                if closed.anchor is not None:
                    anchored[closed.anchor] = closed.nodes
                _count(open_nodes, closed.nodes, event)
            elif isinstance(event, yaml.ScalarEvent):
                if event.anchor is not None:
                    anchored[event.anchor] = 1
                _count(open_nodes, 1, event)
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor not in anchored:
                    # Undefined, or an alias inside the node it names (a cycle, which
                    # JSON cannot hold): the composer words the first; we the second.
                    if any(node.anchor == event.anchor for node in open_nodes):
                        raise _refused("yaml: an alias may not refer to a node it is in", event)
                    continue
                _count(open_nodes, anchored[event.anchor], event)
    except yaml.YAMLError as error:
        raise refused_by(error) from error


def _count(open_nodes: list[_Open], nodes: int, event: yaml.Event) -> None:
    if not open_nodes:
        return
    parent = open_nodes[-1]
    parent.nodes += nodes
    if parent.nodes > MAX_EXPANDED_NODES:
        raise _refused("yaml: document contains excessive aliasing", event)


def _refused(problem: str, event: yaml.Event) -> YamlRefused:
    mark = event.start_mark
    return YamlRefused(problem, mark.line + 1, mark.column + 1)


def refused_by(error: yaml.YAMLError) -> YamlRefused:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    return YamlRefused(problem, mark.line + 1 if mark else 1, mark.column + 1 if mark else None)


def load_documents(text: str) -> list[tuple[yaml.Node, object]]:
    """Each document's node tree (for the lines of its fields) and its value.

    Raises YamlRefused for a syntax error or a text past the limits (check_limits).
    """
    check_limits(text)
    loader = ManifestLoader(text)
    documents = []
    try:
        while loader.check_node():
            node = loader.get_node()
            documents.append((node, loader.construct_document(node)))
    except yaml.YAMLError as error:
        raise refused_by(error) from error
    finally:
        loader.dispose()
    return documents
