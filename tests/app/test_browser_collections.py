"""Browser tier: two collections in the real app (real models), chosen above the chat; the 文档 tab's chunk
view of a PDF with its pages. Screenshots: runs/browser/kb-*.png.

The app runs over a private copy of the seeds (the default collection) with a second collection,
`general`, made with `rag kb create` from the second corpus, its library FAQ printed as a PDF.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import urllib.request

import pytest

from rag.config import PROJECT_ROOT

from ..browser_page import open_page
from ..conftest import cli_env, free_port, private_copy, wait_ready
from ..corpus_pdf import seed_lines, write_pdf
from ..gold_runs import DATA

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kbapp")
    general = tmp / "general"
    shutil.copytree(DATA / "corpus_general", general)
    faq = general / "faq_library.txt"
    write_pdf(seed_lines(faq), general / "faq_library.pdf", "星河市图书馆常见问题")
    faq.unlink()
    port, log = free_port(), tmp / "app.log"
    env = cli_env(**private_copy(tmp), RAG_PORT=port, GRADIO_ANALYTICS_ENABLED="False")
    made = subprocess.run([sys.executable, "-m", "rag.cli", "kb", "create", "general", "--docs",
                           str(general)], env=env, capture_output=True, text=True, timeout=900)
    assert made.returncode == 0, made.stderr
    proc = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "app.py")], env=env, stdout=open(log, "a"),
                            stderr=subprocess.STDOUT)
    wait_ready(proc, log, lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close(), 900)
    yield f"http://127.0.0.1:{port}/", log
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def page(app):
    yield from open_page(app[0], app[1], "#question textarea && #kb")


def _choose_only(page, name: str) -> None:
    """Pick `name` in the selector above the chat, then take every other collection off."""
    page.css("#kb input")[0].click()
    page.wait(lambda: page.css(f"#kb li[role=option][aria-label='{name}']"))[0].click()
    page.css("h2")[0].click()  # close the list
    others = (f"//*[@id='kb']//*[contains(@class,'token') and not(contains(., '{name}'))]"
              "//*[contains(@class,'token-remove') and not(contains(@class,'remove-all'))]")
    while page.xpath(others):
        page.xpath(others)[0].click()
    page.wait(lambda: [t.text.strip() for t in page.css("#kb .token")] == [name])


def test_the_selector_and_an_answer_from_the_second_collection(page):
    page.css("#kb input")[0].click()
    options = page.wait(lambda: [o.get_attribute("aria-label") for o in page.css("#kb li[role=option]")])
    assert {"seeds", "general"} <= set(options)
    page.shot("kb-01-selector.png", "知识库 selector: the collections")
    page.css("h2")[0].click()
    _choose_only(page, "general")
    answer = page.ask("星河市图书馆的图书借期是多久？续借期多长？")
    assert "30天" in answer and "15天" in answer, answer
    card = page.wait(lambda: page.css("#sources .src-card"))[0]
    assert "常见问题" in card.text and "第1页" in card.text, card.text[:200]
    for link in card.find_elements(page.By.CSS_SELECTOR, "a.src-page, a.src-pdf"):  # served, not refused
        with urllib.request.urlopen(link.get_attribute("href").split("#")[0], timeout=30) as reply:
            assert reply.status == 200 and reply.read(4) in (b"\x89PNG", b"%PDF")
    page.shot("kb-02-answer-from-general.png", "an answer from the second collection, cited by page")


def test_the_chunk_view_of_a_pdf_shows_its_pages(page):
    page.tab("文档")
    page.wait(lambda: "faq_library.pdf" in page.css("#doc-table")[0].text)  # follows the chat's choice
    page.css("#remove-choice input")[0].click()
    page.wait(lambda: page.css("#remove-choice li[role=option][aria-label='faq_library.pdf']"))[0].click()
    page.d.find_element(page.By.ID, "show-chunks").click()
    table = page.wait(lambda: (t := page.css("#chunk-table")[0].text) and "第1页" in t and t)
    assert "借期" in table
    page.d.execute_script("arguments[0].scrollIntoView({block: 'start'})", page.css("#remove-choice")[0])
    page.shot("kb-03-chunks-of-a-pdf.png", "查看分段: a PDF's chunks with their pages")
