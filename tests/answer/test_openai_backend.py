"""The `openai` generation backend against scripted OpenAI-compatible servers (fast tier).

The real `python -m llama_cpp.server` is exercised in tests/test_servers.py (model tier).
"""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from rag.errors import GenerationError
from rag.answer.generation import OpenAIGenerator

from ..conftest import ServerThread, free_port

TEXT = "越城区2021年计划新建5G基站1500个[1]。"


def scripted_server(text: str = TEXT, die_after: int | None = None):
    """An OpenAI-compatible chat server that streams `text` 2 characters at a time.

    With `die_after`, it drops the connection after that many pieces, as a killed server would.
    """
    app = FastAPI()
    app.state.requests = []

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        app.state.requests.append(body)

        def events():
            for n, i in enumerate(range(0, len(text), 2)):
                if die_after is not None and n == die_after:
                    raise RuntimeError("server killed")
                chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
                         "choices": [{"index": 0, "delta": {"content": text[i:i + 2]},
                                      "finish_reason": None}]}
                yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"
        return StreamingResponse(events(), media_type="text/event-stream")
    return app


def test_streams_with_the_same_sampling_settings():
    app = scripted_server()
    with ServerThread(app) as server:
        gen = OpenAIGenerator([server.url], seed=7)
        assert "".join(gen.stream([{"role": "user", "content": "q"}], max_tokens=50)) == TEXT
    body = app.state.requests[0]
    assert (body["seed"] == 7 and body["temperature"] == 0 and body["max_tokens"] == 50
            and body["stream"] is True)
    assert body["top_k"] == 1 and body["repeat_penalty"] == 1.0  # llama.cpp's server defaults to 1.1
    assert gen.last_usage["server"] == server.url and gen.last_usage["completion_tokens"] > 1


def test_round_robin_over_servers():
    a, b = scripted_server(), scripted_server()
    with ServerThread(a) as sa, ServerThread(b) as sb:
        gen = OpenAIGenerator([sa.url, sb.url])
        for _ in range(4):
            assert "".join(gen.stream([{"role": "user", "content": "q"}])) == TEXT
    assert len(a.state.requests) == len(b.state.requests) == 2


def test_dead_server_is_skipped():
    live = scripted_server()
    with ServerThread(live) as server:
        gen = OpenAIGenerator([f"http://127.0.0.1:{free_port()}/v1", server.url], timeout=5)
        answers = ["".join(gen.stream([{"role": "user", "content": "q"}])) for _ in range(3)]
    assert answers == [TEXT] * 3


def test_server_dying_mid_answer_is_continued_without_repeating():
    with ServerThread(scripted_server(die_after=4)) as dying, ServerThread(scripted_server()) as live:
        gen = OpenAIGenerator([dying.url, live.url])
        pieces = list(gen.stream([{"role": "user", "content": "q"}]))
    assert "".join(pieces) == TEXT and len(pieces) > 4


def test_no_server_answers_gives_a_clear_error():
    gen = OpenAIGenerator([f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"], timeout=3)
    with pytest.raises(GenerationError, match="RAG_LLM_URLS"):
        list(gen.stream([{"role": "user", "content": "q"}]))
    with pytest.raises(GenerationError, match="RAG_LLM_URLS"):
        OpenAIGenerator([])
