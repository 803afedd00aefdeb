"""API: our own OpenAI-compatible `POST /v1/chat/completions`, so other tools can use the knowledge base.

The last user message is the question and earlier user/assistant pairs are the history; a
client's own system message is ignored (the grounded prompt is ours). Answers carry the
citations twice: as `[n]` markers in the text and as a `citations` field. When streaming,
the deltas are the model's tokens as written; the last chunk carries `citations`, `refused`
and `text`, the checked answer (the text to keep if a citation was removed or repointed).
Both carry `retrieval`: the passages found and why, and a refusal's reason (explaining.py).
"""

from __future__ import annotations

import json
import secrets
import time
import uuid

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from rag import __version__
from rag.errors import InputError, RagError
from rag.answer.turns import history_pairs, message_text
from rag.app.rendering import paged_citations
from rag.app.service import ChatService
from rag.index import collections

MODELS = {"rag": "llm", "rag-fast": "llm_fast"}


def model_choice(name) -> tuple[str, str, str]:
    """(model as echoed, answer model role, collections) from a request's `model`: rag, rag-fast,
    rag:NAME or rag:NAME1,NAME2 (rag-fast:… likewise). Another client's default name means rag."""
    base, _, kb = str(name or "").partition(":")
    return (name, MODELS[base], kb) if base in MODELS else ("rag", MODELS["rag"], "")


def split_messages(messages) -> tuple[str, list[tuple[str, str]]]:
    """(question, history pairs) from OpenAI-style messages."""
    if not isinstance(messages, list) or not messages:
        raise InputError("messages must be a non-empty list / 需要至少一条消息")
    turns = [m for m in messages if isinstance(m, dict)]
    if not turns or turns[-1].get("role") != "user":
        raise InputError("the last message must be the user's question / "
                         "最后一条消息须为用户问题")
    return message_text(turns[-1].get("content")), history_pairs(turns[:-1])


def _envelope(kind: str, model: str, call_id: str) -> dict:
    return {"id": call_id, "object": kind, "created": int(time.time()), "model": model}


def completion(answer, model: str, call_id: str) -> dict:
    usage = {"prompt_tokens": answer.timings.get("prompt_tokens", 0),
             "completion_tokens": answer.timings.get("completion_tokens", 0)}
    return {**_envelope("chat.completion", model, call_id),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                         "finish_reason": "stop"}],
            "usage": {**usage, "total_tokens": sum(usage.values())},
            "citations": paged_citations(answer), "refused": answer.refused,
            "standalone_question": answer.standalone_question, "warnings": answer.warnings,
            "retrieval": answer.retrieval}


def chunks(events, model: str, call_id: str):
    """Server-sent events for one streamed answer."""
    def sse(data: dict) -> str:
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    head = _envelope("chat.completion.chunk", model, call_id)
    yield sse({**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                    "finish_reason": None}]})
    try:
        for event in events:
            if event.kind == "token":
                yield sse({**head, "choices": [{"index": 0, "delta": {"content": event.data},
                                                "finish_reason": None}]})
            elif event.kind == "answer":
                a = event.data
                yield sse({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                           "citations": paged_citations(a), "refused": a.refused, "text": a.text,
                           "warnings": a.warnings, "retrieval": a.retrieval})
    except RagError as exc:
        yield sse({"error": {"message": str(exc), "type": type(exc).__name__}})
    yield "data: [DONE]\n\n"


def build_api(settings, service: ChatService | None = None) -> FastAPI:
    service = service or ChatService(settings)
    app = FastAPI(title="rag", version=__version__)

    def error(status: int, message: str, kind: str = "invalid_request_error"):
        return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)

    def authorized(request: Request) -> bool:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return not settings.api_key or secrets.compare_digest(given, settings.api_key)

    @app.get("/v1/models")
    def models(request: Request):
        if not authorized(request):
            return error(401, "invalid API key", "authentication_error")
        known = collections.load(service.base.index_dir, service.base.docs_dir)
        ids = [*MODELS, *(f"rag:{name}" for name in known)]
        return {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "rag"} for m in ids]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        if not authorized(request):
            return error(401, "invalid API key", "authentication_error")
        try:
            body = await request.json()
            question, history = split_messages(body.get("messages") if isinstance(body, dict) else None)
        except (ValueError, InputError) as exc:
            return error(400, f"bad request: {exc}")
        k = body.get("top_k")
        if k is not None and not (isinstance(k, int) and 1 <= k <= 8):
            return error(400, "top_k must be an integer from 1 to 8")
        model, role, kb = model_choice(body.get("model"))
        try:
            missing = _unknown(service, kb)
        except InputError as exc:
            return error(503, str(exc), "server_error")
        if missing:
            return error(404, f"no collection named {', '.join(missing)}: GET /v1/models lists them",
                         "model_not_found")
        call_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        events = service.stream(question, history, k=k, role=role, kb=kb)
        if body.get("stream"):  # Starlette iterates a plain generator in its thread pool
            return StreamingResponse(chunks(events, model, call_id), media_type="text/event-stream")
        return await run_in_threadpool(_answer, events, model, call_id, error)

    return app


def _unknown(service, kb: str) -> list[str]:
    known = collections.load(service.base.index_dir, service.base.docs_dir)
    return [name for name in collections.names(kb) if name not in known]


def _answer(events, model, call_id, error):
    """Run the pipeline to its end (FastAPI runs this sync code in its thread pool)."""
    try:
        answer = [e.data for e in events if e.kind == "answer"][-1]
    except InputError as exc:
        return error(400, str(exc))
    except RagError as exc:
        return error(503, str(exc), "server_error")
    return completion(answer, model, call_id)


def serve(settings) -> None:
    import uvicorn

    service = ChatService(settings)
    settings = service.settings  # with the collection it names chosen
    # load the index and models now: a missing index is an error here, not at the first request
    service.pipeline()
    print(f"OpenAI-compatible API on http://{settings.host}:{settings.port}/v1 (model 'rag')", flush=True)
    uvicorn.run(build_api(settings, service), host=settings.host, port=settings.port, log_level="warning")
