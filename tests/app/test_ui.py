"""The chat window's handlers, built by build_app over a real ChatService with fakes behind it.

Every event's function must take exactly the inputs wired to it (a mismatch is what broke the
example cards), and each handler is called the way Gradio calls it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import warnings

import gradio as gr
import pytest
from gradio.utils import check_function_inputs_match

from rag.index.embedding import HashEmbedder
from rag.answer.generation import FakeGenerator
from rag.app.service import ChatService
from rag.app.ui import MODELS, build_app, mark_stopped

OWN = ["seeds"]  # the collection chosen above the chat: the app's own
QUESTION = "越城区2021年5G基站的建设计划是什么？"
FAST, DEFAULT = list(MODELS)[1], list(MODELS)[0]


def _cite_first(messages):
    user = messages[-1]["content"]
    if "[1]" not in user:  # the follow-up rewrite
        return QUESTION
    return user.split("[1]", 1)[1].split("\n", 1)[1].split("。")[0] + "[1]。"


@pytest.fixture
def app(hash_index, tmp_path):
    settings = hash_index.with_overrides(feedback_path=tmp_path / "feedback.jsonl")
    service = ChatService(settings, embedder=HashEmbedder(256),
                          generator_factory=lambda r: FakeGenerator(_cite_first))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        demo = build_app(settings, service)
    return demo, [str(w.message) for w in caught], settings


def _handler(demo, name: str):
    return next(f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == name)


def _all(updates) -> list:
    """Every update an (async generator) handler yields, as Gradio would collect them."""
    async def drain():
        return [u async for u in updates]
    return asyncio.run(drain())


def _last(updates):
    return _all(updates)[-1]


def test_every_handler_takes_exactly_its_inputs(app):
    demo, caught, _ = app
    assert not [w for w in caught if "arguments" in w], caught
    for block_fn in demo.fns.values():
        if block_fn.fn is not None:
            assert check_function_inputs_match(block_fn.fn, block_fn.inputs,
                                               block_fn.inputs_as_dict) is None, block_fn.name
    events = {t[1] for f in demo.fns.values() for t in f.targets}
    assert {"submit", "click", "retry", "example_select", "like", "load"} <= events


def test_example_card_is_answered(app):
    demo, _, _ = app
    select = gr.SelectData(None, {"index": 0, "value": {"text": QUESTION, "files": []}})
    chat, sources, box, records = _last(_handler(demo, "pick_example")([], 4, DEFAULT, True, {}, OWN, select))
    assert chat[0]["content"] == QUESTION and "[1]" in chat[1]["content"]
    assert 'class="rag-details"' in chat[1]["content"] and "<details open" not in chat[1]["content"]
    assert "src-card" in sources and records["1"]["retrieval"]["passages"]


def test_send_retry_follow_up_and_settings(app):
    demo, _, _ = app
    ask, redo = _handler(demo, "ask"), _handler(demo, "redo")
    chat, _, _, records = _last(ask(QUESTION, [], 2, FAST, False, {}, OWN))
    # top-k setting reached the pipeline
    assert sum(e["seen"] for e in records["1"]["retrieval"]["passages"]) == 2
    assert "首字" not in chat[1]["content"]  # timings off
    again, _, _, records = _last(redo(chat, 4, DEFAULT, True, records, OWN))
    assert len(again) == 2 and "首字" in again[1]["content"]
    follow, _, _, records = _last(ask("那2022年呢？", again, 4, DEFAULT, True, records, OWN))
    assert len(follow) == 4 and set(records) == {"1", "3"}


def test_slips_are_notices_that_leave_the_page_as_it_was(app):
    """Nothing to retry, an empty question, nothing to export: a warning, not an error on every component."""
    demo, _, _ = app
    with pytest.warns(UserWarning, match="重试"):
        assert _all(_handler(demo, "redo")([], 4, DEFAULT, True, {}, OWN)) == [([], gr.update(), "", {})]
    with pytest.warns(UserWarning, match="问题为空"):
        assert _last(_handler(demo, "ask")("  ", [], 4, DEFAULT, True, {}, OWN))[0] == []
    with pytest.warns(UserWarning, match="导出"):
        assert _handler(demo, "export")([], {}) == gr.update()


def test_stop_marks_only_an_unfinished_answer(app):
    partial = [{"role": "user", "content": [{"type": "text", "text": "问"}]},
               {"role": "assistant", "content": [{"type": "text", "text": "越城区计划"}]}]
    assert "已停止" in mark_stopped(partial)[-1]["content"]
    finished = [partial[0],
                {"role": "assistant", "content": '答[1]\n<details class="rag-details"></details>'}]
    assert mark_stopped(finished) == finished


def test_like_and_dislike_are_recorded_with_citations(app):
    demo, _, settings = app
    _, _, _, records = _last(_handler(demo, "ask")(QUESTION, [], 4, DEFAULT, True, {}, OWN))
    like = _handler(demo, "on_like")
    for liked in (True, False):
        like(records, gr.LikeData(None, {"index": [1, None], "value": "", "liked": liked}))
    rows = [json.loads(x) for x in settings.feedback_path.read_text(encoding="utf-8").splitlines()]
    assert ([r["liked"] for r in rows] == [True, False] and rows[0]["citations"]
            and rows[0]["question"] == QUESTION)


def test_export_is_markdown_with_numbered_citations_and_quotes(app):
    demo, _, _ = app
    chat, _, _, records = _last(_handler(demo, "ask")(QUESTION, [], 4, DEFAULT, True, {}, OWN))
    path = _handler(demo, "export")(chat, records)["value"]
    text = open(path, encoding="utf-8").read()
    assert text.startswith("# ") and f"## 问：{QUESTION}" in text
    assert "[1]" in text and "[1] 《越城区2021年区府办工作计划》" in text and "\n> " in text
    assert "<" not in text  # no markup from the chat window


def test_documents_reindex_and_remove(app):
    demo, _, settings = app
    (settings.docs_dir / "新文件.txt").write_text("柯桥区2025年计划新建智慧停车场27个。\n",
                                                  encoding="utf-8")
    rows, _, choices, status = _handler(demo, "reindex")("seeds")
    assert "新文件.txt" in [r[0] for r in rows] and "索引已更新" in status
    rows, _, _, status = _handler(demo, "remove_doc")("新文件.txt", "seeds")
    assert "新文件.txt" not in [r[0] for r in rows] and "已删除" in status


class _SlowStart(FakeGenerator):
    """The first answer's first token waits at a gate, as a long prompt evaluation does."""

    def __init__(self):
        super().__init__(_cite_first)
        self.gate, self.calls_started = threading.Event(), 0

    def stream(self, messages, max_tokens=256, stop=None):
        self.calls_started += 1
        if self.calls_started == 1:
            assert self.gate.wait(30)
        yield from super().stream(messages, max_tokens, stop)


def test_stop_returns_at_once_and_the_next_question_is_answered(hash_index):
    """停止 while the model has not written a token yet: the handler ends at once, not at the next token."""
    generator = _SlowStart()
    demo = build_app(hash_index, ChatService(hash_index, embedder=HashEmbedder(256),
                                             generator_factory=lambda r: generator))
    ask = _handler(demo, "ask")

    async def stop_then_ask():
        seen: list = []

        async def consume():
            async for chat, *_ in ask(QUESTION, [], 4, DEFAULT, True, {}, OWN):
                seen.append(chat[-1]["content"])
        task = asyncio.create_task(consume())
        while "生成中…" not in seen:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        cancelled_in = time.monotonic() - started
        generator.gate.set()  # the stopped answer's first token comes; it stops there and gives its turn on
        return cancelled_in, [u async for u in ask(QUESTION, [], 4, DEFAULT, True, {}, OWN)][-1]

    cancelled_in, (chat, *_) = asyncio.run(stop_then_ask())
    assert cancelled_in < 1.0 and "[1]" in chat[-1]["content"]
