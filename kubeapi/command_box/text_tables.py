"""Tables as kubectl prints them: the server's Table (kubeapi/printers.py) through
kubectl's human printer, whose tabwriter pads each column to its widest cell plus three
spaces (six at least) and leaves the last unpadded."""

from __future__ import annotations

from collections.abc import Sequence

_PADDING = 3
_MIN_WIDTH = 6


def aligned(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as text/tabwriter lays them out (flags 0, so trailing cells of a
    row are not padded)."""
    if not rows:
        return ""
    columns = max(len(row) for row in rows)
    widths = [
        max(_MIN_WIDTH, max((len(row[i]) for row in rows if i < len(row)), default=0) + _PADDING)
        for i in range(columns)
    ]
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("".join([*cells, row[-1]]) if row else "")
    return "\n".join(lines)


def table_rows(
    table: dict,
    *,
    wide: bool,
    namespace_column: bool = False,
    show_labels: bool = False,
    label_columns: Sequence[str] = (),
    kind_prefix: str = "",
    headers: bool = True,
) -> list[list[str]]:
    """A Table's header and rows, the columns kubectl shows: priority-0 ones unless
    -o wide; NAMESPACE first with -A; label columns (-L) and LABELS (--show-labels)
    last. kind_prefix names each row's object ("pod/") when several kinds are printed."""
    shown = [
        index
        for index, column in enumerate(table["columnDefinitions"])
        if wide or column.get("priority", 0) == 0
    ]
    header = [table["columnDefinitions"][i]["name"].upper() for i in shown]
    if namespace_column:
        header.insert(0, "NAMESPACE")
    header += [key.upper() for key in label_columns]
    if show_labels:
        header.append("LABELS")
    rows = [header] if headers else []
    for row in table["rows"]:
        metadata = (row.get("object") or {}).get("metadata") or {}
        labels = metadata.get("labels") or {}
        cells = [_text(row["cells"][i]) for i in shown]
        if kind_prefix:
            cells[0] = kind_prefix + cells[0]
        if namespace_column:
            cells.insert(0, metadata.get("namespace", ""))
        cells += [labels.get(key, "") for key in label_columns]
        if show_labels:
            cells.append(",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>")
        rows.append(cells)
    return rows


def _text(cell: object) -> str:
    if cell is None:
        return "<none>"
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return str(cell)
