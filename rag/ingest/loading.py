"""Loading: files in a folder → Documents (decoded text, sha256, title/place/date).

Encodings are detected by charset-normalizer; files that are empty, binary, unreadable or
undecodable are skipped with one warning each and never abort a build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag.zh.script import fold_compat

IMAGES = {".png", ".jpg", ".jpeg"}
SUPPORTED = {".txt", ".md", ".html", ".htm", ".docx", ".pdf"} | IMAGES
METADATA_FILE = "metadata.json"
MAX_FILE_BYTES = 20 * 1024 * 1024  # ≈ 7 million characters; embedding more on 2 cores takes hours


@dataclass
class Document:
    id: str
    path: str
    sha256: str
    text: str
    title: str = ""
    place: str = ""
    date: str = ""
    search_text: str = ""
    line_pages: list[tuple[int, int]] | None = None  # (first, last) page of each text line; None when unpaged


@dataclass
class LoadReport:
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    ocr_pages: int = 0
    ocr_seconds: float = 0.0


@dataclass
class Extracted:
    text: str | None
    line_pages: list[tuple[int, int]] | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (where in the file, reason)
    ocr_pages: int = 0
    ocr_seconds: float = 0.0


def discover(folder: Path) -> list[Path]:
    """Supported files below folder, sorted; symlink loops and unreadable folders are not followed."""
    found, seen = [], set()
    for root, dirs, files in os.walk(folder, followlinks=True, onerror=lambda e: None):
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(root) / f for f in files
                  if Path(f).suffix.lower() in SUPPORTED and not f.startswith(".")]
    return sorted(found)


def doc_id(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_bytes(data: bytes) -> str | None:
    """Text from bytes in any common Chinese encoding, or None when it is not text."""
    if not data.strip():
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if b"\x00" in data[:8192]:
        return None  # UTF-16 without BOM is rare for Chinese docs; NULs nearly always mean binary
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=None).best()
    if best is None or best.percent_chaos > 20:
        return None
    return str(best)


def _docx(path: Path) -> Extracted:
    from rag.ingest.office import docx_lines, has_images

    text = "\n".join(docx_lines(path))
    if not text.strip() and has_images(path):
        raise ValueError("Word file with images only and no text: "
                         "OCR reads scans as .pdf/.png/.jpg, not inside .docx")
    return Extracted(text)


# Everything str.splitlines() breaks at: one paragraph must stay one line, in step with its pages.
_LINE_BREAKS = re.compile(r"\s*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+\s*")


def _paged(paras, problems, name: str, ocr_pages: int = 0, ocr_seconds: float = 0.0) -> Extracted:
    if not paras:
        reasons = "; ".join(dict.fromkeys(r for _, r in problems)) or "no text on any page"
        raise ValueError(f"no text extracted ({reasons})")
    return Extracted("\n".join(_LINE_BREAKS.sub(" ", p.text) for p in paras),
                     [(p.page_start, p.page_end) for p in paras],
                     [(f"{name} 第{n}页", r) for n, r in problems], ocr_pages, ocr_seconds)


def _pdf(path: Path, ocr: bool) -> Extracted:
    from rag.ingest.pdf import read_pdf

    out = read_pdf(path, ocr)
    return _paged(out.paras, out.problems, str(path), out.ocr_pages, out.ocr_seconds)


def _image(path: Path, ocr: bool) -> Extracted:
    """A picture of a page: OCR'd as page 1 when OCR is on."""
    from rag.ingest.ocr import OCR_HINT, image_array, read_image
    from rag.ingest.paging import Page, paragraphs

    if not ocr:
        raise ValueError(f"image skipped; {OCR_HINT}")
    started, image = time.perf_counter(), image_array(path)
    lines = read_image(image)
    if not lines:
        raise ValueError("image without recognizable text (OCR found none)")
    return _paged(paragraphs([Page(1, lines)]), [], str(path), 1, time.perf_counter() - started)


def _html_text(raw: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "header"]):
        tag.decompose()
    return soup.get_text("\n")


def extract(path: Path, data: bytes, ocr: bool = True) -> Extracted:
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return _docx(path)
    if suffix == ".pdf":
        return _pdf(path, ocr)
    if suffix in IMAGES:
        return _image(path, ocr)
    text = decode_bytes(data)
    if text is not None and suffix in (".html", ".htm"):
        text = _html_text(text)
    return Extracted(text)


def read_text(path: Path, data: bytes) -> str | None:
    return extract(path, data).text


_TITLE_MAX = 60


def guess_title(text: str) -> str:
    """First short line that reads like a heading (no sentence end, mostly CJK)."""
    for line in text.splitlines()[:40]:
        line = line.strip().lstrip("#").strip()
        # web-page genre: a breadcrumb (首页 > …), a view counter (浏览) or an index number (索引号) is no title
        if 4 <= len(line) <= _TITLE_MAX and not re.search(r"[。:：|>]$|^[\d\-\s:]+$|首页|浏览|索引",
                                                           line):
            if len(re.findall(r"[\u4e00-\u9fff]", line)) >= 4:
                return line
    return ""


def load_metadata(folder: Path) -> dict[str, dict]:
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def load_file(path: Path, folder: Path, meta: dict[str, dict], ocr: bool = True,
              report: LoadReport | None = None) -> Document:
    """One Document, or ValueError/OSError with a reason a user can act on."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES // 2**20} MB")
    data = path.read_bytes()
    if not data.strip():
        raise ValueError("empty file")
    got = extract(path, data, ocr)
    if report is not None:
        report.skipped += got.problems
        report.ocr_pages, report.ocr_seconds = (report.ocr_pages + got.ocr_pages,
                                                report.ocr_seconds + got.ocr_seconds)
    text = fold_compat(got.text) if got.text else got.text
    if text is None or not text.strip():
        raise ValueError("binary or undecodable (not text in UTF-8, GB18030/GBK or Big5)")
    did = doc_id(path, folder)
    info = meta.get(did, {})
    title = info.get("title") or guess_title(text) or path.stem
    return Document(id=did, path=str(path), sha256=file_sha256(data),
                    text=text.replace("\r\n", "\n").replace("\r", "\n"), title=title,
                    place=info.get("place", ""), date=info.get("date", ""), line_pages=got.line_pages)


def load_folder(folder: Path, ocr: bool = True) -> LoadReport:
    folder = Path(folder)
    report, meta = LoadReport(), load_metadata(folder)
    first_of: dict[str, str] = {}
    for path in discover(folder):
        try:
            doc = load_file(path, folder, meta, ocr, report)
            if doc.sha256 in first_of:
                raise ValueError(f"duplicate of {first_of[doc.sha256]} (same content), indexed once")
            first_of[doc.sha256] = doc.id
            report.documents.append(doc)
        except (OSError, ValueError) as exc:
            report.skipped.append((str(path), str(exc) or type(exc).__name__))
        except Exception as exc:  # a broken .docx/.pdf must not abort the build either
            report.skipped.append((str(path), f"unreadable {path.suffix} ({type(exc).__name__}: {exc})"))
    return report
