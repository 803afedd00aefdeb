"""Document reading speed and OCR accuracy on the seeds (run on a quiet machine).

    nice -n 19 python -m tests.doc_bench [--ocr-pages 6] [--out runs/doc_bench.json]

Prints and writes: text-layer PDF pages/s (the five seeds as PDFs, read 3 times), OCR
seconds per A4 page at 150 dpi, and OCR character accuracy (1 − edit distance / length,
on normalized text, per page against the text layer of the same page, header and footer included).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from rag.zh.script import normalize

from .corpus_pdf import cached_build


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one numpy row per character of a (insertions via a running minimum)."""
    if not a or not b:
        return max(len(a), len(b))
    codes_b, idx = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32), np.arange(len(b) + 1)
    row = idx.copy()
    for i, ch in enumerate(a, 1):
        sub = row[:-1] + (codes_b != ord(ch))
        cand = np.concatenate(([i], np.minimum(row[1:] + 1, sub)))
        row = np.minimum.accumulate(cand - idx) + idx
    return int(row[-1])


def char_accuracy(ocr: str, truth: str) -> float:
    truth, ocr = normalize(truth), normalize(ocr)
    return 1 - edit_distance(ocr, truth) / max(1, len(truth))


def text_layer_speed(pdfs: list[Path], rounds: int = 3) -> dict:
    from rag.ingest.pdf import read_pdf

    pages, started = 0, time.perf_counter()
    for _ in range(rounds):
        for pdf in pdfs:
            out = read_pdf(pdf, ocr=False)
            pages += max(p.page_end for p in out.paras)
    seconds = time.perf_counter() - started
    return {"pages": pages, "seconds": round(seconds, 2), "pages_per_s": round(pages / seconds, 1)}


def ocr_pages(scan: Path, text: Path, limit: int) -> list[tuple[int, float, float]]:
    """(page, seconds, character accuracy) for the first `limit` pages of a scanned PDF."""
    import pymupdf

    from rag.ingest.ocr import engine
    from rag.ingest.pdf import ocr_page

    engine()  # model loading is not per-page time
    rows = []
    with pymupdf.open(str(scan)) as scans, pymupdf.open(str(text)) as truth:
        for n in range(min(limit, scans.page_count)):
            started = time.perf_counter()
            lines = ocr_page(scans[n])
            seconds = time.perf_counter() - started
            # The whole page on both sides: running header and page number included.
            rows.append((n + 1, seconds, char_accuracy("\n".join(l.text for l in lines),
                                                       truth[n].get_text(sort=True))))
    return rows


def run(ocr_limit: int) -> dict:
    corpus = cached_build()
    pdfs = sorted((corpus / "pdf").glob("*.pdf"))
    result = {"corpus": str(corpus), "text_layer": text_layer_speed(pdfs)}
    rows = []
    for pdf in pdfs:
        rows += [(pdf.name, *r)
                 for r in ocr_pages(corpus / "scan" / pdf.name, pdf, max(1, ocr_limit // len(pdfs)))]
    result["ocr"] = {"pages": len(rows), "seconds_per_page": round(float(np.mean([r[2] for r in rows])), 2),
                     "char_accuracy": round(float(np.mean([r[3] for r in rows])), 4),
                     "worst_page": min(((r[0], r[1], round(r[3], 4)) for r in rows), key=lambda r: r[2]),
                     "dpi": 150}
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ocr-pages", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("runs/doc_bench.json"))
    args = parser.parse_args()
    result = run(args.ocr_pages)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
