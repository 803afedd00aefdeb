"""Our OpenAI-compatible API, called by the real `openai` client over loopback (fakes behind it)."""

from __future__ import annotations

import pytest

from rag.app.api import build_api, split_messages
from rag.index.embedding import HashEmbedder
from rag.errors import InputError
from rag.answer.generation import FakeGenerator
from rag.app.service import ChatService

from ..conftest import ServerThread

QUESTION = "越城区2021年5G基站的建设计划是什么？"


def _cite_first(messages):
    user = messages[-1]["content"]
    if "[1]" not in user:  # the follow-up rewrite
        return "越城区2022年计划新建多少个5G基站？"
    return user.split("[1]", 1)[1].split("\n", 1)[1].split("。")[0] + "[1]。"


@pytest.fixture
def api(hash_index):
    def make(**overrides):
        settings = hash_index.with_overrides(**overrides)
        service = ChatService(settings, embedder=HashEmbedder(256),
                              generator_factory=lambda r: FakeGenerator(_cite_first))
        return ServerThread(build_api(settings, service))
    return make


def _client(url, key="none"):
    from openai import OpenAI

    return OpenAI(base_url=url, api_key=key, max_retries=0, timeout=30)


def test_cited_answer_not_streamed(api):
    with api() as server:
        reply = _client(server.url).chat.completions.create(model="rag",
                                                            messages=[{"role": "user", "content": QUESTION}])
    text, extra = reply.choices[0].message.content, reply.model_extra
    assert "[1]" in text and reply.choices[0].finish_reason == "stop"
    assert extra["citations"][0]["n"] == 1 and extra["citations"][0]["quote"] and extra["refused"] is False
    assert extra["citations"][0]["doc_id"] and extra["citations"][0]["start_line"] >= 1
    seen = [e for e in extra["retrieval"]["passages"] if e["seen"]]
    assert (seen and seen[0]["cited"] and extra["retrieval"]["citations"][0]["n"] == 1
            and extra["retrieval"]["reason"] is None)


def test_cited_answer_streamed(api):
    with api() as server:
        stream = _client(server.url).chat.completions.create(model="rag", stream=True,
                                                            messages=[{"role": "user", "content": QUESTION}])
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    last = chunks[-1]
    assert len(chunks) > 3 and "[1]" in text and last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"][0]["n"] == 1 and last.model_extra["text"] == text
    assert last.model_extra["retrieval"]["passages"] and last.model_extra["retrieval"]["terms"]


def test_history_becomes_a_follow_up(api):
    with api() as server:
        reply = _client(server.url).chat.completions.create(model="rag", messages=[
            {"role": "system", "content": "ignored: the grounded prompt is ours"},
            {"role": "user", "content": QUESTION}, {"role": "assistant", "content": "1500个[1]。"},
            {"role": "user", "content": "那2022年呢？"}])
    assert reply.model_extra["standalone_question"] != "那2022年呢？"


def test_api_key_required_when_set(api):
    import openai

    with api(api_key="s3cret") as server:
        with pytest.raises(openai.AuthenticationError):
            _client(server.url, "wrong").chat.completions.create(
                model="rag", messages=[{"role": "user", "content": QUESTION}])
        reply = _client(server.url, "s3cret").chat.completions.create(
            model="rag", messages=[{"role": "user", "content": QUESTION}])
    assert "[1]" in reply.choices[0].message.content


@pytest.mark.parametrize("messages", [[], [{"role": "assistant", "content": "hi"}],
                                      [{"role": "user", "content": "   "}]])
def test_bad_requests_get_400_with_a_message(api, messages):
    import openai

    with api() as server:
        with pytest.raises(openai.BadRequestError) as caught:
            _client(server.url).chat.completions.create(model="rag", messages=messages)
    assert caught.value.body["message"]


def test_split_messages_pairs_history():
    question, history = split_messages([{"role": "user", "content": "a"},
                                        {"role": "assistant", "content": "b"},
                                        {"role": "user", "content": [{"type": "text", "text": "c"}]}])
    assert question == "c" and history == [("a", "b")]
    with pytest.raises(InputError):
        split_messages("not a list")
