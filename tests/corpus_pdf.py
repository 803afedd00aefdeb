"""Test corpora made from seeds/: the seeds as text-layer PDFs, as scanned PDFs and as .docx.

Run as a script to (re)build them: python -m tests.corpus_pdf OUT_DIR. The model tier calls
`build()` and caches the result under ~/.cache/rag/corpora/<hash of seeds and this file>.
PDFs are written by PyMuPDF with its built-in CJK font, so no office suite or system font is
needed; each page gets a running header and a page-number footer that the loader must drop.
A table of the 2024 targets (seed 001) is added as its own PDF and .docx for table questions.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
A4 = (595, 842)
TABLE_TITLE = "绍兴市2024年经济社会发展主要预期目标表"
TABLE_ROWS = [["指标", "2024年预期目标", "备注"],
              ["地区生产总值增长", "6.5%以上", "全市"],
              ["研发经费支出占GDP比重", "3.2%左右", "R&D"],
              ["规上工业增加值增长", "9%", "全市"],
              ["固定资产投资增长", "8%", "全市"],
              ["社会消费品零售总额增长", "6.5%以上", "全市"],
              ["出口增长", "8%以上", "全市"],
              ["城镇调查失业率", "5%以内", "全市"]]


def seed_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


FONT, SIZE, LEADING, GAP, INDENT = "china-s", 11, 17, 6, 22
LEFT, RIGHT, TOP, BOTTOM = 60, A4[0] - 60, 70, A4[1] - 70


class _Writer:
    """Own line breaking on A4 (MuPDF's HTML Story lost text at some page breaks): paragraphs
    with a first-line indent, wrapped at any character, and tables drawn as ruled grids."""

    def __init__(self):
        import pymupdf

        self.doc, self.font, self.page, self.y = pymupdf.open(), pymupdf.Font(FONT), None, BOTTOM

    def room(self, height: float) -> None:
        if self.page is None or self.y + height > BOTTOM:
            self.page, self.y = self.doc.new_page(width=A4[0], height=A4[1]), TOP

    def wrap(self, text: str, first: float) -> list[str]:
        lines, current, width, limit = [], "", 0.0, RIGHT - LEFT - first
        for char, w in zip(text, self.font.char_lengths(text, fontsize=SIZE)):
            if width + w > limit:
                lines.append(current)
                current, width, limit = "", 0.0, RIGHT - LEFT
            current, width = current + char, width + w
        return lines + [current]

    def write(self, at, text: str) -> None:
        # TextWriter draws with the very metrics wrap() measured (insert_text's CJK font differs).
        import pymupdf

        writer = pymupdf.TextWriter(self.page.rect)
        writer.append(at, text, font=self.font, fontsize=SIZE)
        writer.write_text(self.page)

    def paragraph(self, text: str) -> None:
        for i, line in enumerate(self.wrap(text, INDENT)):
            self.room(LEADING)
            self.y += LEADING
            self.write((LEFT + (INDENT if i == 0 else 0), self.y - 4), line)
        self.y += GAP

    def table(self, rows: list[list[str]]) -> None:
        widths = [max(self.font.text_length(r[c], fontsize=SIZE) for r in rows) + 10
                  for c in range(len(rows[0]))]
        for row in rows:
            self.room(22)
            x = LEFT
            for cell, w in zip(row, widths):
                self.page.draw_rect((x, self.y, x + w, self.y + 22), width=0.6)
                self.write((x + 5, self.y + 15), cell)
                x += w
            self.y += 22
        self.y += GAP


def write_pdf(lines: list[str], out: Path, header: str, table=None) -> int:
    """A text-layer A4 PDF of the lines (one paragraph each); returns its page count."""
    writer = _Writer()
    for line in lines:
        writer.paragraph(line)
    if table:
        writer.table(table)
        writer.paragraph("以上目标经市人民代表大会审议通过。")
    writer.doc.save(str(out))
    writer.doc.close()
    return _add_chrome(out, header)


def _add_chrome(path: Path, header: str) -> int:
    """A running header and a page-number footer on every page, for the loader to drop."""
    import pymupdf

    doc = pymupdf.open(str(path))
    for no, page in enumerate(doc, 1):
        page.insert_text((LEFT, 45), header, fontname=FONT, fontsize=9)
        page.insert_text((A4[0] / 2 - 12, A4[1] - 35), f"- {no} -", fontname="helv", fontsize=9)
    doc.subset_fonts()  # whole CJK fonts would make each PDF ≈ 4 MB
    data, count = doc.tobytes(garbage=3, deflate=True), doc.page_count
    doc.close()
    path.write_bytes(data)
    return count


def write_scan(pdf: Path, out: Path, dpi: int = 150) -> None:
    """Image-only copy of a PDF: each page rasterized in grey, the way a scanner would deliver it."""
    import pymupdf

    src, dst = pymupdf.open(str(pdf)), pymupdf.open()
    for page in src:
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
        dst.new_page(width=page.rect.width, height=page.rect.height).insert_image(page.rect, pixmap=pix)
    dst.save(str(out), deflate=True)


def write_docx(lines: list[str], out: Path, table=None) -> None:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
        document.add_paragraph("以上目标经市人民代表大会审议通过。")
    document.save(str(out))


def _renamed(meta: dict, suffix: str) -> dict:
    return {(Path(k).stem + suffix if k.endswith(".txt") else k): v for k, v in meta.items()}


def write_qa(qa: Path, out: Path, suffix: str) -> None:
    rows = [json.loads(line) for line in qa.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        row["sources"] = [Path(s).stem + suffix for s in row.get("sources", [])]
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def build(out: Path, seeds: Path = SEEDS, scans: bool = True) -> Path:
    """out/pdf, out/scan, out/docx: one folder per form, each with metadata.json and qa_dev.jsonl."""
    meta = json.loads((seeds / "metadata.json").read_text(encoding="utf-8"))
    forms = {"pdf": ".pdf", "docx": ".docx"} | ({"scan": ".pdf"} if scans else {})
    for form, suffix in forms.items():
        (out / form).mkdir(parents=True, exist_ok=True)
        (out / form / "metadata.json").write_text(json.dumps(_renamed(meta, suffix), ensure_ascii=False),
                                                  encoding="utf-8")
        write_qa(ROOT / "tests" / "data" / "qa_dev.jsonl", out / form / "qa_dev.jsonl", suffix)
    for seed in sorted(seeds.glob("*.txt")):
        title = meta.get(seed.name, {}).get("title", seed.stem)
        write_pdf(seed_lines(seed), out / "pdf" / f"{seed.stem}.pdf", title)
        write_docx(seed_lines(seed), out / "docx" / f"{seed.stem}.docx")
        if scans:
            write_scan(out / "pdf" / f"{seed.stem}.pdf", out / "scan" / f"{seed.stem}.pdf")
    return out


def write_table_docs(out: Path) -> None:
    """One PDF and one .docx whose only figures sit in a table (for the table questions)."""
    out.mkdir(parents=True, exist_ok=True)
    intro = [TABLE_TITLE,
             "根据市政府工作报告，全市经济社会发展的主要预期目标见下表。"]
    write_pdf(intro, out / "targets.pdf", TABLE_TITLE, TABLE_ROWS)
    write_docx(intro, out / "targets.docx", TABLE_ROWS)


def cached_build(scans: bool = True) -> Path:
    """build() once per content of seeds/ and of this file, under ~/.cache/rag/corpora."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for seed in sorted(SEEDS.iterdir()):
        digest.update(seed.read_bytes())
    out = Path.home() / ".cache" / "rag" / "corpora" / f"{digest.hexdigest()[:12]}{'-scan' if scans else ''}"
    if not (out / ".done").exists():
        shutil.rmtree(out, ignore_errors=True)
        build(out, scans=scans)
        (out / ".done").touch()
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/corpora")
    build(target)
    write_table_docs(target / "tables")
    print(target)
