"""Browser tier: 停止 in the middle of an answer, on a generator slowed to a fixed pace.

The real models answer, but each streamed piece is held back, so the click lands mid-answer on
any CPU (on the plain real model a fast CPU could finish a long answer before the click). The app
runs in this process over private copies of the seeds and index (Gradio's own server, not app.py).
"""

from __future__ import annotations

import re
import time
import urllib.request

import pytest

from ..browser_page import open_page
from ..conftest import free_port, private_copy

pytestmark = pytest.mark.browser
LONG = "越城区“十四五”时期的发展目标有哪些？请逐条详细列出。"
PACE = 0.3  # seconds per streamed piece: a long answer takes over a minute, the click comes after a few


class SlowedGenerator:
    """A generator that holds each streamed piece back by `pace` seconds; closing it closes the inner one."""

    def __init__(self, inner, pace: float):
        self.inner, self.pace, self.id = inner, pace, inner.id

    @property
    def last_usage(self) -> dict:
        return self.inner.last_usage

    def stream(self, messages: list[dict], max_tokens: int = 256, stop=None):
        pieces = self.inner.stream(messages, max_tokens=max_tokens, stop=stop)
        try:
            for piece in pieces:
                time.sleep(self.pace)
                yield piece
        finally:
            pieces.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory, real_settings, real_embedder, real_generator):
    from rag.app.service import ChatService
    from rag.app.ui import launch

    tmp = tmp_path_factory.mktemp("slow")
    paths = private_copy(tmp)
    settings = real_settings.with_overrides(docs_dir=paths["RAG_DOCS_DIR"], index_dir=paths["RAG_INDEX_DIR"],
                                            feedback_path=paths["RAG_FEEDBACK_PATH"], port=free_port())
    slowed = SlowedGenerator(real_generator, PACE)
    service = ChatService(settings, embedder=real_embedder, generator_factory=lambda role: slowed)
    demo = launch(settings, service=service, prevent_thread_lock=True, quiet=True)
    log = tmp / "app.log"
    log.write_text("", encoding="utf-8")  # in-process: problems surface as page errors or test failures
    yield f"http://127.0.0.1:{settings.port}/", log
    demo.close()


@pytest.fixture(scope="module")
def page(app):
    yield from open_page(*app)


def test_stop_mid_answer_then_follow_up_and_export(page):
    from selenium.webdriver.common.keys import Keys

    box = page.css("#question textarea")[0]
    box.send_keys(LONG)
    box.send_keys(Keys.ENTER)
    # Mid-answer: the answer has streamed some words and is not finished (no details block yet).
    streaming = lambda: page.css("#chat .message.bot") and len(t := page.last_bot()) >= 12 \
        and not re.search("生成中|检索中|排队中", t)
    page.wait(streaming, step=0.1)
    finished = lambda: page.css("#chat .message.bot")[-1].find_elements(page.By.CSS_SELECTOR, "details")
    assert not finished(), "finished before 停止"
    page.d.find_element(page.By.ID, "stop").click()
    stopped = page.wait(lambda: "（已停止）" in page.last_bot() and page.last_bot())
    time.sleep(20 * PACE)  # at the generator's pace, twenty more pieces would have arrived by now
    assert page.last_bot() == stopped and not finished()
    page.scroll_chat("#chat .message.bot", "end")
    page.shot("10-stopped.png", "停止 during a long answer")
    assert "[" in page.ask("2023年绍兴市新增城镇就业多少人？")
    page.shot("11-after-stop.png", "question after 停止")

    page.d.find_element(page.By.ID, "export").click()
    link = page.wait(lambda: page.css("#export-file a[href]"))[0]
    text = urllib.request.urlopen(link.get_attribute("href"), timeout=30).read().decode("utf-8")
    assert (f"## 问：{LONG}" in text and "（已停止）" in text
            and "## 问：2023年绍兴市新增城镇就业多少人？" in text)
