"""PDF: pages → laid-out lines and tables (PyMuPDF), image-only pages through OCR.

PyMuPDF was chosen over pdfplumber by measurement on the seeds printed to PDF (README,
"Documents"): ≈ 170 vs ≈ 2.5 pages/s for text with layout, and it maps the Kangxi-radical
glyphs of Chromium-printed PDFs back to 工/月/日 where pdfplumber and pypdf return ⼯/⽉/⽇.
Table detection (the slow part, ≈ 20 pages/s) runs only on pages that draw lines.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag.ingest.ocr import DPI, OCR_HINT
from rag.ingest.paging import Line, Page, Para, paragraphs

MIN_TEXT_CHARS = 20  # fewer characters in the text layer than this, plus an image: a scanned page
MIN_RULES = 4  # a table needs at least a few drawn lines


@dataclass
class PdfText:
    paras: list[Para] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (page, reason)
    ocr_pages: int = 0
    ocr_seconds: float = 0.0


def _open(path: Path):
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.no_recommend_layout()  # its advice goes to stdout, which `rag ask --json` owns
    try:
        doc = pymupdf.open(str(path), filetype="pdf")
    except Exception as exc:
        raise ValueError(f"not a readable PDF, the file may be damaged ({exc})") from exc
    if doc.needs_pass:
        raise ValueError("password-protected PDF: save an unprotected copy "
                         "(e.g. qpdf --decrypt in.pdf out.pdf) into the folder instead")
    return doc


def _tables(page) -> tuple[list[tuple[float, list[list[str]]]], list]:
    if len(page.get_drawings()) < MIN_RULES:
        return [], []
    found = page.find_tables().tables
    return [(t.bbox[1], t.extract()) for t in found], [t.bbox for t in found]


def _inside(box, areas) -> bool:
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return any(a[0] <= cx <= a[2] and a[1] <= cy <= a[3] for a in areas)


def text_lines(page, skip_areas=()) -> list[Line]:
    lines = []
    for block in page.get_text("dict", sort=True)["blocks"]:
        for line in block.get("lines", []):
            spans = [s for s in line["spans"] if s["text"].strip()]
            if not spans or _inside(line["bbox"], skip_areas):
                continue
            x0, y0, x1, y1 = line["bbox"]
            lines.append(Line("".join(s["text"] for s in line["spans"]).strip(), x0, y0, x1, y1,
                              max(s["size"] for s in spans)))
    return lines


def is_scan(page) -> bool:
    # Images first: listing them is cheap, and most text pages have none.
    return bool(page.get_images()) and len(page.get_text("text").strip()) < MIN_TEXT_CHARS


def ocr_page(page) -> list[Line]:
    import numpy as np

    from rag.ingest.ocr import read_image

    pix = page.get_pixmap(dpi=DPI)
    image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.h, pix.w, pix.n)[:, :, :3]
    return read_image(np.ascontiguousarray(image), scale=DPI / 72)


def read_page(page, number: int, ocr: bool, out: PdfText) -> Page | None:
    if is_scan(page):
        if not ocr:
            out.problems.append((number, f"scanned page skipped; {OCR_HINT}"))
            return None
        started = time.perf_counter()
        lines = ocr_page(page)
        out.ocr_pages, out.ocr_seconds = out.ocr_pages + 1, out.ocr_seconds + time.perf_counter() - started
        if not lines:
            out.problems.append((number, "image without recognizable text"))
        return Page(number, lines, height=page.rect.height)
    tables, areas = _tables(page)
    return Page(number, text_lines(page, areas), tables, page.rect.height)


def _progress(doc, path: Path):
    from tqdm import tqdm

    scans = sum(1 for page in doc if is_scan(page))
    # Only OCR is slow enough to watch; tqdm shows pages/s.
    return tqdm(total=doc.page_count, unit="page", desc=f"OCR {path.name}", disable=None if scans else True,
                leave=False)


def read_pdf(path: Path, ocr: bool = True) -> PdfText:
    """Paragraphs with their pages; a page that fails is reported and the others kept."""
    logging.getLogger("rapidocr").setLevel(logging.ERROR)
    doc, out, pages = _open(path), PdfText(), []
    with _progress(doc, path) as bar:
        for number in range(1, doc.page_count + 1):
            try:
                page = read_page(doc.load_page(number - 1), number, ocr, out)
                pages += [page] if page else []
            except Exception as exc:  # one damaged page must not cost the rest of the file
                out.problems.append((number, f"unreadable page ({type(exc).__name__}: {exc})"))
            bar.update()
    out.paras = paragraphs(pages)
    return out
