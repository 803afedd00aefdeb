"""Office: Word (.docx) bodies → lines in document order, tables kept as Markdown rows.

python-docx lists paragraphs and tables separately; walking the body's children keeps a table
where it stands between the paragraphs that introduce and follow it.
"""

from __future__ import annotations

from pathlib import Path

from rag.ingest.tables import to_markdown


def _rows(table) -> list[list[str]]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans: keep it once.
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(cell.text)
        rows.append(cells)
    return rows


def docx_lines(path: Path) -> list[str]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            lines += to_markdown(_rows(Table(child, document)))
    return lines


def has_images(path: Path) -> bool:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return any(name.startswith("word/media/") for name in archive.namelist())
