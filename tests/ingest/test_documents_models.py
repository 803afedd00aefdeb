"""Model tier: real OCR on scanned seed pages, table questions from a PDF and a .docx with the
real embedder and model, and a 2,000-page PDF. Corpora are built from seeds/ by
tests/corpus_pdf.py and cached under ~/.cache/rag/corpora. No timings are asserted.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from rag.config import load_settings

from ..corpus_pdf import TABLE_TITLE, cached_build, write_table_docs
from ..doc_bench import char_accuracy

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def corpus() -> Path:
    return cached_build()


def test_ocr_reads_scanned_seed_pages(corpus):
    import pymupdf

    from rag.ingest.pdf import ocr_page

    scores = []
    for name in ("000_3c8385710f23eda0.pdf", "004_c92fa45cce4e1a13.pdf"):
        with (pymupdf.open(str(corpus / "scan" / name)) as scan,
              pymupdf.open(str(corpus / "pdf" / name)) as truth):
            started = time.perf_counter()
            text = "\n".join(l.text for l in ocr_page(scan[1]))
            print(f"{name} page 2: {time.perf_counter() - started:.1f} s")
            scores.append(char_accuracy(text, truth[1].get_text(sort=True)))  # top-down, as OCR reads
    print("OCR character accuracy:", scores)
    assert min(scores) >= 0.97


def test_a_scanned_pdf_is_indexed_with_pages(corpus, tmp_path):
    from rag.ingest.loading import load_folder

    shutil.copy(corpus / "scan" / "000_3c8385710f23eda0.pdf", tmp_path)
    report = load_folder(tmp_path)
    doc = report.documents[0]
    import pymupdf

    with pymupdf.open(str(tmp_path / "000_3c8385710f23eda0.pdf")) as scan:
        pages = scan.page_count
    assert report.ocr_pages == pages and doc.line_pages[-1][1] == pages
    assert "新建5G基站1500个" in doc.text.replace(" ", "")


def test_an_image_that_is_not_text(tmp_path):
    import numpy as np
    from PIL import Image

    from rag.ingest.loading import load_folder

    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((300, 400, 3)) * 40 + 100).astype("uint8")).save(tmp_path / "photo.jpg")
    reasons = {Path(p).name: r for p, r in load_folder(tmp_path).skipped}
    assert ("no recognizable text" in reasons["photo.jpg"]
            or "without recognizable text" in reasons["photo.jpg"])


@pytest.fixture(scope="module")
def table_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tables")
    write_table_docs(folder)
    return folder


@pytest.mark.parametrize("name", ["targets.pdf", "targets.docx"])
def test_a_table_question_is_answered_from_the_table(table_dir, tmp_path, name, real_embedder,
                                                     real_generator):
    from rag.index.building import build_index
    from rag.answer.pipeline import Pipeline

    (tmp_path / "docs").mkdir()
    shutil.copy(table_dir / name, tmp_path / "docs")
    # as the seeds have theirs
    meta = {name: {"title": TABLE_TITLE, "place": "绍兴市", "date": "2024-01-29"}}
    (tmp_path / "docs" / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    settings = load_settings(docs_dir=tmp_path / "docs", index_dir=tmp_path / "index")
    build_index(settings, embedder=real_embedder)
    answer = Pipeline.from_settings(settings, embedder=real_embedder, generator=real_generator).answer(
        "绍兴市2024年规上工业增加值的预期增长目标是多少？", [])
    print(answer.text, answer.citations)
    assert not answer.refused and "9%" in answer.text
    cited = {p["n"]: p for p in answer.to_dict()["passages"]}
    assert any("| 规上工业增加值增长 | 9% |" in cited[c["n"]]["full_text"] for c in answer.citations)
    if name.endswith(".pdf"):
        assert all(cited[c["n"]]["page_start"] == 1 for c in answer.citations)


def test_a_pdf_of_2000_pages_is_read(tmp_path):
    import pymupdf

    from rag.ingest.loading import load_folder

    doc = pymupdf.open()
    for n in range(1, 2001):
        doc.new_page().insert_text((72, 100), f"Section {n}: value {n * 7} units.", fontsize=11)
    doc.save(str(tmp_path / "long.pdf"))
    started = time.perf_counter()
    report = load_folder(tmp_path)
    print(f"2000 pages read in {time.perf_counter() - started:.1f} s")
    doc = report.documents[0]
    # Lines that reach the right margin may run on into the next page's line: the layout cannot tell.
    assert doc.line_pages[-1][1] == 2000 and all(b - a <= 1 for a, b in doc.line_pages)
    assert all(f"Section {n}: value {n * 7} units." in doc.text for n in (1, 999, 2000))
