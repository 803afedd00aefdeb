"""The app's service layer without Gradio: feedback records and document management."""

from __future__ import annotations

import json
import threading
import time

import pytest

from rag.index.embedding import HashEmbedder
from rag.answer.generation import FakeGenerator
from rag.app.service import ChatService


def test_feedback_is_appended_with_index_hash(hash_index, tmp_path):
    settings = hash_index.with_overrides(feedback_path=tmp_path / "fb.jsonl")
    service = ChatService(settings, embedder=HashEmbedder(256),
                          generator_factory=lambda r: FakeGenerator(lambda m: "1500个[1]。"))
    answer = [e.data for e in service.stream("越城区2021年5G基站的建设计划是什么？", [])
              if e.kind == "answer"][0]
    for liked in (True, False):
        service.feedback({"liked": liked, "question": answer.question, "answer": answer.text,
                          "citations": answer.citations})
    rows = [json.loads(x) for x in (tmp_path / "fb.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["liked"] for r in rows] == [True, False]
    assert rows[0]["citations"] and len(rows[0]["index"]) == 64 and "越城区" in rows[0]["question"]


def test_documents_listing_and_removal(hash_index):
    service = ChatService(hash_index, embedder=HashEmbedder(256),
                          generator_factory=lambda r: FakeGenerator(lambda m: ""))
    rows = service.documents()
    assert len(rows) == 5 and all(r[2] > 0 for r in rows)
    service.remove(rows[0][0])
    assert service.rebuild().files == 4 and len(service.documents()) == 4


class _GatedGenerator(FakeGenerator):
    """Answers in call order; the first answer waits at a gate, so the others must queue behind it."""

    def __init__(self):
        super().__init__(lambda m: "1500个[1]。")
        self.gate = threading.Event()
        self.order: list[str] = []

    def stream(self, messages, max_tokens=256, stop=None):
        question = messages[-1]["content"]
        self.order.append(question)
        if len(self.order) == 1:
            assert self.gate.wait(10)
        yield from super().stream(messages, max_tokens, stop)


def _drain(stream, out: list, n: int) -> None:
    events = list(stream)
    out.append((n, [e.data for e in events if e.kind == "queued"], events[-1].kind))


def test_answers_run_in_arrival_order_whatever_the_threads_do(hash_index):
    generator = _GatedGenerator()
    service = ChatService(hash_index, embedder=HashEmbedder(256), generator_factory=lambda r: generator)
    questions = [f"越城区2021年计划新建多少个5G基站？（第{n}位）" for n in range(5)]
    streams = [service.stream(q, []) for q in questions]  # arrival order = call order
    done: list = []
    # Consumers start in reverse order: the order of answering must still be the order of arrival.
    threads = [threading.Thread(target=_drain, args=(streams[n], done, n)) for n in reversed(range(5))]
    for t in threads:
        t.start()
    time.sleep(0.3)
    assert len(generator.order) == 1, "only the first answer may run while it holds the model"
    generator.gate.set()
    for t in threads:
        t.join(timeout=30)
    assert [n for n, _q, _k in done] == [0, 1, 2, 3, 4]
    assert all(kind == "answer" for _n, _q, kind in done)
    assert [q for _n, q, _k in sorted(done)] == [[], [1], [2], [3], [4]]
    assert [next(q for q in questions if q in asked) for asked in generator.order] == questions


def test_a_caller_gone_before_its_turn_does_not_block_the_queue(hash_index):
    generator = _GatedGenerator()
    service = ChatService(hash_index, embedder=HashEmbedder(256), generator_factory=lambda r: generator)
    first = service.stream("越城区2021年5G基站的建设计划是什么？", [])
    gone = service.stream("越城区2021年计划改造多少个老旧小区？", [])
    last = service.stream("绍兴市2023年地区生产总值是多少？", [])
    gone.close()  # the user left (or pressed 停止) while waiting: never iterated
    del gone
    generator.gate.set()
    assert list(first)[-1].kind == "answer"
    assert list(last)[-1].kind == "answer"
    assert len(generator.order) == 2 and "老旧小区" not in "".join(generator.order)


def test_a_failed_answer_passes_the_turn_on(hash_index):
    class Broken(FakeGenerator):
        def stream(self, messages, max_tokens=256, stop=None):
            raise RuntimeError("model crashed")
            yield  # pragma: no cover - makes this a generator

    calls = iter([Broken(lambda m: ""), FakeGenerator(lambda m: "1500个[1]。")])
    service = ChatService(hash_index, embedder=HashEmbedder(256), generator_factory=lambda r: next(calls))
    with pytest.raises(RuntimeError, match="model crashed"):
        list(service.stream("越城区2021年5G基站的建设计划是什么？", []))
    service._generators.clear()
    assert (list(service.stream("越城区2021年5G基站的建设计划是什么？", []))[-1].kind
            == "answer")


def test_an_answer_closed_at_its_queued_notice_passes_the_turn_on(hash_index):
    service = ChatService(hash_index, embedder=HashEmbedder(256),
                          generator_factory=lambda r: FakeGenerator(lambda m: "1500个[1]。"))
    first, second = service.turns.ticket(), service.turns.ticket()
    waiting = service._answer(second, threading.Event(),
                              "越城区2021年5G基站的建设计划是什么？", [], None, None)
    assert next(waiting).kind == "queued"
    closer = threading.Thread(target=waiting.close)  # waits for its turn, then hands it on
    closer.start()
    with service.turns.turn(first):
        pass
    closer.join(timeout=10)
    assert not closer.is_alive() and service.turns.ahead_of(service.turns.ticket()) == 0
