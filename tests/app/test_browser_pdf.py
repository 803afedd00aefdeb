"""Browser tier: a PDF citation shows its page, and its page opens with the quote highlighted.

The app runs over a folder of PDFs made from a seed (tests/corpus_pdf.py) and builds its index
at start. Screenshots: runs/browser/pdf-*.png.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT

from ..browser_page import open_page
from ..conftest import SEEDS, cli_env, free_port, wait_ready
from ..corpus_pdf import seed_lines, write_pdf, write_table_docs

pytestmark = pytest.mark.browser
SEED = SEEDS / "001_95525c1d49c5bed8.txt"


def _page_of(pdf: Path, needle: str) -> int:
    import pymupdf

    with pymupdf.open(str(pdf)) as doc:
        return next(n for n, page in enumerate(doc, 1) if needle in page.get_text().replace("\n", ""))


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    import socket

    tmp = tmp_path_factory.mktemp("pdfapp")
    docs = tmp / "docs"
    docs.mkdir()
    write_pdf(seed_lines(SEED), docs / "report.pdf", "绍兴市2024年政府工作报告")
    write_table_docs(docs)
    (docs / "targets.docx").unlink()
    examples = {"_examples": ["绍兴市2023年地区生产总值是多少？"],
                "report.pdf": {"title": "绍兴市2024年政府工作报告", "place": "绍兴市"}}
    (docs / "metadata.json").write_text(json.dumps(examples, ensure_ascii=False), encoding="utf-8")
    port = free_port()
    env = cli_env(RAG_DOCS_DIR=docs, RAG_INDEX_DIR=tmp / "index", RAG_FEEDBACK_PATH=tmp / "fb.jsonl",
                  RAG_PORT=port, GRADIO_ANALYTICS_ENABLED="False")
    log = tmp / "app.log"
    proc = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "app.py")], env=env,
                            stdout=open(log, "a"), stderr=subprocess.STDOUT)
    wait_ready(proc, log, lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close(), 900)
    yield f"http://127.0.0.1:{port}/", docs, log
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def page(app):
    yield from open_page(app[0], app[2], "#question textarea && #chat button.example")  # the chat is drawn


def test_a_pdf_citation_shows_its_page_and_opens_it(app, page):
    answer = page.ask("绍兴市2023年地区生产总值是多少？")
    assert "7791亿元" in answer and "[" in answer
    expected = _page_of(app[1] / "report.pdf", "7791亿元")
    card = page.wait(lambda: page.css("#sources .src-card"))[0]
    assert f"第{expected}页" in card.text and "查看第" in card.text, card.text[:200]
    page.shot("pdf-01-citation-page.png", "PDF citation → 第N页 in the sources panel")
    link = card.find_element(page.By.CSS_SELECTOR, "a.src-page")
    link.click()
    page.d.switch_to.window(page.d.window_handles[-1])
    page.wait(lambda: page.css("img"))
    page.d.save_screenshot(str(Path(page.log).parent / "page.png"))
    from ..browser_page import SHOTS

    page.d.save_screenshot(str(SHOTS / "pdf-02-cited-page.png"))
    page.d.close()
    page.d.switch_to.window(page.d.window_handles[0])


def test_a_table_answer_shows_the_page_of_its_source(page):
    page.ask("绍兴市2024年规上工业增加值的预期增长目标是多少？")
    cards = page.css("#sources .src-card")
    assert cards and all(re.search(r"第\d+(–\d+)?页", c.text) for c in cards), (
        [c.text[:80] for c in cards])
    page.shot("pdf-03-table-question.png",
              "question answered from the PDFs → every source card shows 第N页")


def test_a_seed_printed_by_chromium_reads_without_radical_forms(tmp_path):
    """Chromium's PDFs map 工/月/日/生/长 to Kangxi radicals in their fonts; the loader folds them
    back."""
    import html

    from rag.ingest.loading import load_folder

    lines = seed_lines(SEED)[:25]
    page = tmp_path / "seed.html"
    page.write_text('<meta charset="utf-8"><body style="font-family: Noto Sans CJK SC">'
                    + "".join(f"<p>{html.escape(line)}</p>" for line in lines), encoding="utf-8")
    (tmp_path / "docs").mkdir()
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={tmp_path / 'docs' / 'seed.pdf'}", str(page)], check=True, timeout=120,
                   capture_output=True)
    text = load_folder(tmp_path / "docs").documents[0].text
    assert not [c for c in text if 0x2E80 <= ord(c) <= 0x2FDF]
    assert "政府工作报告(2024年1月29日" in text and "地区生产总值" in text
