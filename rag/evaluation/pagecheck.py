"""Page check: is each citation's evidence really on the page it names?

For every citation of an eval run (results.jsonl) that points at a PDF, the quote's longest
run between punctuation must be found in the text layer of the cited page range. The text
is read straight from the PDF with PyMuPDF's plain extraction, not through rag.ingest.pdf, so the
check does not share the loader's mistakes. For scans, pass the folder of the text-layer
twins (same names, same pages).

    python -m rag.evaluation.pagecheck runs/eval-pdf [--pdfs DIR]
        → adds "citation_page_accuracy" to metrics.json
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from pathlib import Path

from rag.ingest.cleaning import clean_inline
from rag.zh.script import fold_compat, normalize

_PIECE = re.compile(r"[^，。；：、,.;:！？!?（）()“”《》|\s]+")


@functools.lru_cache(maxsize=64)
def page_texts(pdf: Path) -> tuple[str, ...]:
    import pymupdf

    with pymupdf.open(str(pdf)) as doc:
        # clean_inline drops what the chunks lost too (pinyin glosses such as 区(qū), which a line
        # break may separate from their character, so lines are joined first).
        return tuple(normalize(clean_inline(re.sub(r"\s*\n\s*", "", fold_compat(page.get_text()))))
                     for page in doc)


def evidence(quote: str) -> str:
    """The quote's longest run between punctuation: long enough to be unique on a page."""
    pieces = sorted((normalize(p) for p in _PIECE.findall(quote or "")), key=len, reverse=True)
    return pieces[0] if pieces else ""


def on_page(pdf: Path, start: int, end: int, quote: str) -> bool:
    """The evidence lies on the cited pages: whole on one of them, or running over a page break
    (where a footer and a header interrupt it) with its head on one cited page and its tail on the next."""
    texts, needle = page_texts(pdf), evidence(quote)
    cited = [texts[p - 1] for p in range(start, min(end, len(texts)) + 1)]
    if not needle:
        return False
    if any(needle in t for t in cited):
        return True
    return any(needle[:k] in a and needle[k:] in b for a, b in zip(cited, cited[1:])
               for k in range(1, len(needle)))


def _pages(citation: dict, by_n: dict) -> tuple[int | None, int | None]:
    source = citation if citation.get("page_start") else by_n.get(citation["n"], {})
    return source.get("page_start"), source.get("page_end")


def check_rows(rows: list[dict], pdfs: Path) -> dict:
    checked = right = 0
    misses = []
    for row in rows:
        by_n = {p["n"]: p for p in row.get("passages", [])}
        for c in row.get("citations", []):
            start, end = _pages(c, by_n)
            pdf = pdfs / c["doc_id"]
            if not start or pdf.suffix.lower() != ".pdf" or not pdf.is_file():
                continue
            checked += 1
            ok = on_page(pdf, start, end or start, c.get("quote", ""))
            right += ok
            if not ok:
                misses.append({"id": row.get("id"), "doc_id": c["doc_id"], "pages": [start, end],
                               "quote": c.get("quote", "")[:60]})
    return {"citations_checked": checked, "page_right": right,
            "citation_page_accuracy": round(right / checked, 4) if checked else None, "page_misses": misses}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.evaluation.pagecheck",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="an eval output folder (results.jsonl, metrics.json)")
    parser.add_argument("--pdfs", type=Path,
                        help="the PDFs (default: the docs_dir the run's index was built from)")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in (args.run / "results.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    metrics_path = args.run / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.exists() else {}
    pdfs = args.pdfs or Path(metrics.get("settings", {}).get("docs_dir", "."))
    result = check_rows(rows, pdfs)
    metrics.update({k: v for k, v in result.items() if k != "page_misses"})
    metrics_path.write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
