"""Page view: the cited page of a PDF, as an image with the quote highlighted, and the PDF itself.

Both are served read-only by Gradio's file route from two folders only: the documents folder
(the original PDF, opened at `#page=N` by the browser's viewer) and a temporary folder of
rendered pages. The PDF on disk is never written: highlights are drawn on an in-memory copy.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
import tempfile
import urllib.parse
from pathlib import Path

FILE_ROUTE = "/gradio_api/file="
DPI = 110  # readable on screen, ≈ 100 KB a page
_PIECE = re.compile(r"[^，。；：、,.;:！？!?（）()“”\s]{4,}")


class PageView:
    def __init__(self, docs_dir: Path, out_dir: Path | None = None):
        self.docs_dir = Path(docs_dir).resolve()
        self.out_dir = Path(out_dir or tempfile.mkdtemp(prefix="rag-pages-")).resolve()

    def allowed_paths(self) -> list[str]:
        return [str(self.docs_dir), str(self.out_dir)]

    def source(self, doc_id: str) -> Path | None:
        """The original file of a document, only if it lies inside the documents folder."""
        path = (self.docs_dir / doc_id).resolve()
        return path if path.is_file() and path.is_relative_to(self.docs_dir) else None

    def image(self, doc_id: str, page: int, quote: str = "") -> Path | None:
        path = self.source(doc_id)
        if path is None or path.suffix.lower() != ".pdf":
            return None
        key = hashlib.sha1(f"{path}|{path.stat().st_mtime_ns}|{page}|{quote}".encode()).hexdigest()[:16]
        out = self.out_dir / f"{key}.png"
        if not out.exists():
            render_page(path, page, quote, out)
        return out

    def link(self, item: dict, quote: str = "") -> str:
        """Links shown beside 第N页 in a source card; "" for unpaged sources."""
        page, doc_id = item.get("page_start"), item.get("doc_id", "")
        try:
            shot = self.image(doc_id, page, quote) if page else None
        except Exception:  # a page view is a convenience: never let it cost the answer
            shot = None
        if shot is None:
            return ""
        pdf = FILE_ROUTE + urllib.parse.quote(str(self.source(doc_id))) + f"#page={page}"
        png = FILE_ROUTE + urllib.parse.quote(str(shot))
        return (f' · <a class="src-page" href="{html.escape(png)}" target="_blank" rel="noopener">'
                f'查看第{page}页</a>'
                f' · <a class="src-pdf" href="{html.escape(pdf)}" target="_blank" rel="noopener">'
                f'打开原文件</a>')


def quote_pieces(quote: str) -> list[str]:
    """Runs of the quote between punctuation: PDF search matches these where a whole sentence,
    broken over lines with other spacing and punctuation widths, would not."""
    return [p[:24] for p in _PIECE.findall(quote)][:8]


def render_page(pdf: Path, page_no: int, quote: str, out: Path) -> None:
    import pymupdf

    with pymupdf.open(str(pdf)) as doc:
        if not 1 <= page_no <= doc.page_count:
            raise ValueError(f"{pdf.name} has no page {page_no}")
        page = doc.load_page(page_no - 1)
        for piece in quote_pieces(quote):
            for quad in page.search_for(piece, quads=True):
                page.add_highlight_annot(quad)
        page.get_pixmap(dpi=DPI, annots=True).save(str(out))


def for_folder(docs_dir) -> PageView:
    """One page view (and one folder of rendered pages) per documents folder and process, however the
    folder is written: the app allows the rendered pages' folder of the very object that links them."""
    return _for_resolved(str(Path(docs_dir).resolve()))


@functools.cache  # one per collection's folder: a few
def _for_resolved(docs_dir: str) -> PageView:
    return PageView(Path(docs_dir))
