"""PDF and Word documents: pages, running chrome, paragraphs, tables, bad input (fast tier).

PDFs are written at test time from the seeds by tests/corpus_pdf.py (PyMuPDF, built-in CJK
font), so nothing binary is committed. OCR is faked here; the real models run in
tests/test_documents_models.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rag.ingest.chunking import chunk_document
from rag.zh.script import fold_compat, normalize
from rag.ingest.loading import load_folder
from rag.ingest.tables import split_rows, to_markdown

from ..conftest import SEEDS
from ..corpus_pdf import TABLE_ROWS, seed_lines, write_docx, write_pdf, write_table_docs

SEED = SEEDS / "001_95525c1d49c5bed8.txt"


@pytest.fixture(scope="module")
def pdf_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pdf")
    write_pdf(seed_lines(SEED)[:60], folder / "report.pdf", "绍兴市2024年政府工作报告")
    write_table_docs(folder)
    return folder


@pytest.fixture(scope="module")
def loaded(pdf_folder):
    return {d.id: d for d in load_folder(pdf_folder).documents}


def _page_texts(path: Path) -> list[str]:
    import pymupdf

    with pymupdf.open(str(path)) as doc:
        return [normalize(page.get_text()) for page in doc]


def test_kangxi_radicals_and_compatibility_forms_fold():
    assert (fold_compat("绍兴市政府⼯作报告(2024年1⽉29⽇…)")
            == "绍兴市政府工作报告(2024年1月29日…)")
    assert fold_compat("地区⽣产总值增⻓，⻔户") == "地区生产总值增长，门户"
    # only ideograph look-alikes change
    assert fold_compat("（全角标点）１２") == "（全角标点）１２"


def test_pdf_text_keeps_every_paragraph_and_drops_running_chrome(loaded):
    doc = loaded["report.pdf"]
    lines = doc.text.splitlines()
    assert doc.line_pages and len(doc.line_pages) == len(lines)
    assert max(p for _, p in doc.line_pages) >= 3
    assert not any(line.startswith("- ") and line.endswith(" -") for line in lines)  # page numbers
    assert sum("绍兴市2024年政府工作报告" == line for line in lines) == 0  # running header
    text = normalize(doc.text)
    for line in seed_lines(SEED)[:60]:
        assert normalize(line) in text, line  # joined across line and page breaks, nothing split


def test_a_paragraph_over_a_page_break_is_one_line_with_a_page_range(loaded):
    doc = loaded["report.pdf"]
    spans = [(a, b) for a, b in doc.line_pages if b > a]
    assert spans and all(b == a + 1 for a, b in spans)


def test_chunks_know_their_pages_and_the_text_is_there(loaded, pdf_folder):
    pages = _page_texts(pdf_folder / "report.pdf")
    chunks = chunk_document(loaded["report.pdf"], 300, 60)
    assert chunks and all(c.page_start and c.page_start <= c.page_end for c in chunks)
    for c in chunks:
        where = "".join(pages[c.page_start - 1:c.page_end])
        assert normalize(c.text)[:20] in where and normalize(c.text)[-20:] in where, c.id


def test_text_sources_have_no_pages():
    doc = next(d for d in load_folder(SEEDS).documents if d.id == SEED.name)
    assert doc.line_pages is None
    assert {(c.page_start, c.page_end) for c in chunk_document(doc, 300, 60)} == {(None, None)}


@pytest.mark.parametrize("name", ["targets.pdf", "targets.docx"])
def test_tables_stay_tables(loaded, name):
    chunks = chunk_document(loaded[name], 300, 60)
    table = next(c for c in chunks if c.text.startswith("| 指标"))
    assert "| 规上工业增加值增长 | 9% | 全市 |" in table.text.splitlines()
    assert table.text.splitlines()[1].startswith("| ---")


def test_a_long_table_is_cut_by_rows_with_its_header_repeated():
    rows = [TABLE_ROWS[0]] + [[f"指标{i}", f"{i}.5%", "全市"] for i in range(60)]
    body = list(enumerate(to_markdown(rows), 1))
    pieces = split_rows(body, 200)
    assert len(pieces) > 3
    for text, first, last in pieces:
        lines = text.splitlines()
        assert lines[0] == "| 指标 | 2024年预期目标 | 备注 |" and lines[1].startswith("| ---")
        assert all(line.count("|") == 4 for line in lines)  # whole rows only
    assert sum(len(t.splitlines()) - 2 for t, _, _ in pieces) == 60


def test_docx_keeps_the_table_between_its_paragraphs(tmp_path):
    write_docx(["前言段落。"], tmp_path / "t.docx", TABLE_ROWS)
    text = load_folder(tmp_path).documents[0].text.splitlines()
    assert (text[0] == "前言段落。" and text[1].startswith("| 指标")
            and text[-1].startswith("以上目标"))


def _skipped(folder: Path, **kw) -> dict[str, str]:
    return {Path(p).name: r for p, r in load_folder(folder, **kw).skipped}


def test_password_protected_pdf_is_skipped_with_a_reason(tmp_path, pdf_folder):
    import pymupdf

    with pymupdf.open(str(pdf_folder / "targets.pdf")) as doc:
        doc.save(str(tmp_path / "locked.pdf"), encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="o",
                 user_pw="u")
    shutil.copy(pdf_folder / "targets.docx", tmp_path)
    report = load_folder(tmp_path)
    assert [d.id for d in report.documents] == ["targets.docx"]
    assert "password" in dict((Path(p).name, r) for p, r in report.skipped)["locked.pdf"]


def test_a_damaged_page_costs_only_that_page(tmp_path, pdf_folder, monkeypatch):
    import rag.ingest.pdf

    shutil.copy(pdf_folder / "report.pdf", tmp_path)
    real = rag.ingest.pdf.read_page
    monkeypatch.setattr(rag.ingest.pdf, "read_page",
                        lambda page, n, *a: (_ for _ in ()).throw(RuntimeError("bad stream"))
                        if n == 2 else real(page, n, *a))
    report = load_folder(tmp_path)
    assert report.documents and 2 not in {p for pair in report.documents[0].line_pages for p in pair}
    assert any("第2页" in p and "bad stream" in r for p, r in report.skipped)


def test_truncated_pdf_is_skipped_or_read_never_raises(tmp_path, pdf_folder):
    data = (pdf_folder / "report.pdf").read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[: len(data) // 3])
    report = load_folder(tmp_path)
    assert report.documents or report.skipped


def test_docx_with_only_images_says_so(tmp_path):
    import docx
    from PIL import Image

    Image.new("RGB", (40, 40), "white").save(tmp_path / "pic.png")
    document = docx.Document()
    document.add_picture(str(tmp_path / "pic.png"))
    document.save(str(tmp_path / "scan.docx"))
    (tmp_path / "pic.png").unlink()
    assert "images only" in _skipped(tmp_path)["scan.docx"]


def test_images_and_scans_say_how_to_turn_ocr_on_when_it_is_off(tmp_path, pdf_folder):
    from PIL import Image

    from tests.corpus_pdf import write_scan

    Image.new("RGB", (200, 100), "white").save(tmp_path / "photo.png")
    write_scan(pdf_folder / "targets.pdf", tmp_path / "scan.pdf", dpi=50)
    reasons = _skipped(tmp_path, ocr=False)
    assert "--ocr on" in reasons["photo.png"] and "--ocr on" in reasons["scan.pdf"]


def test_an_image_without_text_gets_a_reason(tmp_path, monkeypatch):
    from PIL import Image

    import rag.ingest.ocr

    monkeypatch.setattr(rag.ingest.ocr, "read_image", lambda image, scale=1.0: [])
    Image.new("RGB", (200, 100), "gray").save(tmp_path / "gray.jpg")
    (tmp_path / "junk.png").write_bytes(b"\x89PNG not an image")
    reasons = _skipped(tmp_path)
    assert "no" in reasons["gray.jpg"] and "recognizable text" in reasons["gray.jpg"]
    assert "not a readable image" in reasons["junk.png"]


def test_nothing_indexable_is_a_clear_error_and_the_old_index_still_answers(hash_index, tmp_path):
    from PIL import Image

    from rag.index import store
    from rag.index.embedding import HashEmbedder
    from rag.errors import IndexError_
    from rag.index.building import build_index

    before = store.read_manifest(hash_index.index_dir)["built_at"]
    empty = tmp_path / "only_png"
    empty.mkdir()
    Image.new("RGB", (50, 50), "white").save(empty / "a.png")
    with pytest.raises(IndexError_, match="(?s)nothing indexable.*a.png"):
        build_index(hash_index.with_overrides(docs_dir=empty, ocr=False), embedder=HashEmbedder(256))
    assert store.read_manifest(hash_index.index_dir)["built_at"] == before
    assert store.load(hash_index.index_dir, "hash-bigram@256").chunks


def test_ocr_models_are_the_pinned_ones_inside_the_wheel():
    from rag.ingest.ocr import MODELS, verified_models

    paths = verified_models()
    assert {p.name for p in paths.values()} == {name for name, _ in MODELS.values()}
    assert all("site-packages" in str(p) or "dist-packages" in str(p) for p in paths.values())


def test_ocr_lines_are_merged_and_ordered():
    from rag.ingest.ocr import merge_rows
    from rag.ingest.paging import Line

    cells = [Line("指标", 10, 100, 40, 112, 12), Line("9%", 120, 101, 140, 113, 12),
             Line("下一行", 10, 130, 50, 142, 12)]
    assert [l.text for l in merge_rows(cells)] == ["指标 9%", "下一行"]


def test_page_view_renders_the_cited_page_and_refuses_paths_outside(pdf_folder, tmp_path):
    from rag.app.pageview import PageView

    view = PageView(pdf_folder, tmp_path)
    link = view.link({"doc_id": "targets.pdf", "page_start": 1}, "规上工业增加值增长 9%")
    assert "查看第1页" in link and "targets.pdf#page=1" in link and list(tmp_path.glob("*.png"))
    assert view.link({"doc_id": "../etc/passwd", "page_start": 1}) == ""
    assert view.link({"doc_id": "targets.docx", "page_start": None}) == ""


def test_sources_panel_and_export_show_the_page():
    from types import SimpleNamespace

    from rag.app.rendering import sources_html
    from rag.app.transcript import _lines

    passage = {"n": 1, "title": "报告", "section": "一、", "start_line": 40, "end_line": 44,
               "full_text": "增长9%", "page_start": 3, "page_end": 4, "doc_id": "r.pdf"}
    citation = {"n": 1, "title": "报告", "section": "一、", "start_line": 40, "end_line": 44,
                "quote": "增长9%", "doc_id": "r.pdf"}
    answer = SimpleNamespace(text="增长9%[1]。", refused=False, citations=[citation], passages=[passage],
                             retrieval={})
    html = sources_html(answer, lambda item, quote: f"<a>p{item['page_start']}</a>")
    assert "第3–4页" in html and "<a>p3</a>" in html and "第 40" not in html
    assert _lines({**citation, "page_start": 2, "page_end": 2}) == "第2页"
    assert json.dumps(passage)  # pages are plain ints in --json and the API


def test_paragraph_breaks_inside_a_line_never_shift_its_pages():
    from rag.ingest.loading import _paged
    from rag.ingest.paging import Para

    got = _paged([Para("甲\u2028乙", 1, 1), Para("丙\x0c丁\r戊", 2, 3)], [], "x.pdf")
    assert len(got.text.splitlines()) == len(got.line_pages) == 2 and got.line_pages == [(1, 1), (2, 3)]


def test_line_joins_keep_numbers_and_latin_words_whole():
    from rag.ingest.paging import glue

    assert glue("增长1", "0.8%") == "增长10.8%" and glue("地区生产", "总值") == "地区生产总值"
    assert glue("digital", "economy") == "digital economy" and glue("develop-", "ment") == "development"
    assert (glue("全社会研发经费支出占GD", "P比重3.2%左右")
            == "全社会研发经费支出占GDP比重3.2%左右")


def test_page_check_finds_the_quote_on_the_cited_page_only(pdf_folder):
    from rag.evaluation.pagecheck import check_rows

    pages = _page_texts(pdf_folder / "report.pdf")
    quote = "全年实现地区生产总值7791亿元,增长7.8%、居全省第2位。"
    right = next(n for n, text in enumerate(pages, 1)
                 if normalize("全年实现地区生产总值7791亿元") in text)
    rows = [{"id": "q", "passages": [{"n": 1, "page_start": right, "page_end": right},
                                     {"n": 2, "page_start": right + 1}],
             "citations": [{"n": 1, "doc_id": "report.pdf", "quote": quote},
                           {"n": 2, "doc_id": "report.pdf", "quote": quote},
                           {"n": 3, "doc_id": "notes.txt", "quote": quote}]}]
    result = check_rows(rows, pdf_folder)
    assert (result["citations_checked"] == 2 and result["page_right"] == 1
            and result["page_misses"][0]["pages"][0] == right + 1)


def test_json_and_api_citations_carry_pages_and_a_where():
    from types import SimpleNamespace

    from rag.app.rendering import paged_citations

    passages = [{"n": 1, "page_start": 3, "page_end": 4}, {"n": 2, "page_start": None, "page_end": None}]
    citations = [{"n": 1, "section": "一、", "start_line": 5, "end_line": 9},
                 {"n": 2, "section": "", "start_line": 7, "end_line": 7}]
    got = paged_citations(SimpleNamespace(citations=citations, passages=passages))
    assert got[0]["page_start"] == 3 and got[0]["where"] == "一、 · 第3–4页"
    assert got[1]["page_start"] is None and got[1]["where"] == "— · 第 7 行"
