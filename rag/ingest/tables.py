"""Tables: rows of cells ↔ Markdown rows, and chunks of rows that repeat the header.

A table is stored as Markdown lines ("| 指标 | 2024年预期目标 |"), one row a line, so it
survives cleaning and chunking as a table. A chunk of a long table holds the header, the
separator and as many whole rows as fit: a figure never loses its row and column names.
"""

from __future__ import annotations

import re

# A table chunk fits within the passage budget the model is shown (Settings.passage_chars = 160),
# so it reaches the model whole, one row a line, instead of being trimmed into a run of cells.
TABLE_CHUNK_CHARS = 150
_ROW = re.compile(r"^\|.*\|$")
_RULE = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+$")


def _cell(value) -> str:
    # A cell's own line breaks and pipes would break the row apart.
    return re.sub(r"\s*\n\s*", " ", str(value or "")).replace("|", "/").strip()


def to_markdown(rows: list[list]) -> list[str]:
    """Markdown lines for a table; empty rows dropped, short rows padded."""
    cells = [[_cell(c) for c in row] for row in rows]
    cells = [row for row in cells if any(row)]
    if not cells:
        return []
    width = max(len(row) for row in cells)
    cells = [row + [""] * (width - len(row)) for row in cells]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    return [lines[0], "|" + " --- |" * width] + lines[1:]


def is_row(text: str) -> bool:
    return bool(_ROW.match(text.strip()))


def split_rows(body: list[tuple[int, str]], size: int) -> list[tuple[str, int, int]]:
    """(text, first line, last line) pieces of one table: header + separator + whole rows."""
    head = body[:2] if len(body) > 1 and _RULE.match(body[1][1].strip()) else body[:1]
    rows = body[len(head):]
    if not rows:
        return [("\n".join(t for _, t in head), head[0][0], head[-1][0])]
    header = "\n".join(t for _, t in head)
    pieces, group = [], []
    for no, text in rows:
        if group and len(header) + sum(len(t) + 1 for _, t in group) + len(text) > size:
            pieces.append(group)
            group = []
        group.append((no, text))
    pieces.append(group)
    return [(header + "\n" + "\n".join(t for _, t in g), g[0][0], g[-1][0]) for g in pieces]


def runs(body: list[tuple[int, str]]) -> list[tuple[bool, list[tuple[int, str]]]]:
    """Consecutive lines grouped into (is_table, lines) runs."""
    out: list[tuple[bool, list[tuple[int, str]]]] = []
    for no, text in body:
        table = is_row(text)
        if not out or out[-1][0] != table:
            out.append((table, []))
        out[-1][1].append((no, text))
    return out
