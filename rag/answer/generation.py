"""Generation: one method, `stream(messages) -> Iterator[str]`.

Backends: `llamacpp` (default) runs the GGUF model in-process; `openai` streams from one or more
OpenAI-compatible servers (llama.cpp's server, vLLM, `python -m llama_cpp.server`).
llama.cpp is not re-entrant, so callers serialize access (the UI queues requests). The KV
cache keeps the previous prompt; a new prompt that starts with the same system prompt only
evaluates the tokens after the shared prefix (a llama.cpp server does the same per slot).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol


class Generator(Protocol):
    id: str
    last_usage: dict

    def stream(self, messages: list[dict], max_tokens: int = 256) -> Iterator[str]: ...


class Threads:
    """How many threads llama.cpp runs on: all cores, one fewer when that is faster.

    llama.cpp's threads meet at a barrier several times per token; when another process takes a core,
    one of them waits for its turn on the CPU at every barrier and generation collapses (measured on 2
    cores with one kept busy: 0.8 tokens/s on 2 threads, 7.2 on 1; 13 on 2 when idle). One thread fewer
    runs at about the same speed busy or idle, so its token time is the yardstick: the first tokens ever
    generated are timed on one thread fewer, then all cores are used for as long as the median of the
    last three tokens stays under that time. Once it does not, the answer goes on with one thread
    fewer, and all cores are tried again at the start of a call `RETRY_S` seconds later.
    """

    RETRY_S = 60.0

    def __init__(self, full: int):
        self.full = max(1, full)
        self.fewer = None  # median token seconds on one thread fewer, once measured
        self.now = self.full if self.full == 1 else self.full - 1
        self.lowered_at, self.recent = 0.0, []

    def start(self, clock: float) -> int:
        if self.fewer is not None and self.now < self.full and clock - self.lowered_at > self.RETRY_S:
            self.now = self.full
        self.recent = []
        return self.now

    def token(self, seconds: float, clock: float) -> int:
        """Record one generated token's time; the thread count to go on with."""
        self.recent = (self.recent + [seconds])[-3:]
        if len(self.recent) < 3 or self.full == 1:
            return self.now
        typical = sorted(self.recent)[1]
        if self.now < self.full:
            first = self.fewer is None
            self.fewer = typical if first else min(self.fewer, typical)
            if first:  # the yardstick is known: now all cores
                self.now, self.recent = self.full, []
        elif typical > self.fewer:
            self.now, self.lowered_at, self.recent = self.full - 1, clock, []
        return self.now


class LlamaGenerator:
    def __init__(self, path: Path, *, n_ctx: int = 2048, n_threads: int = 2, seed: int = 42,
                 temperature: float = 0.0):
        from llama_cpp import Llama

        self.llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                         n_batch=512, seed=seed, verbose=False, use_mmap=True)
        self.id = Path(path).name
        self.seed, self.temperature = seed, temperature
        self.lock = threading.Lock()
        self.last_usage: dict = {}
        self.threads = Threads(n_threads)

    def _use(self, threads: int) -> None:
        from llama_cpp import llama_set_n_threads

        if threads != self.llm.n_threads:  # between two tokens: llama.cpp is not running
            llama_set_n_threads(self.llm.ctx, threads, threads)
            self.llm.n_threads = self.llm.n_threads_batch = threads

    def stream(self, messages: list[dict], max_tokens: int = 256,
               stop: list[str] | None = None) -> Iterator[str]:
        with self.lock:
            started, first, n = time.perf_counter(), None, 0
            last = started
            self._use(self.threads.start(started))
            self.llm.set_seed(self.seed)
            chunks = self.llm.create_chat_completion(messages=messages, max_tokens=max_tokens,
                                                     temperature=self.temperature,
                                                     top_k=1 if self.temperature == 0 else 40, seed=self.seed,
                                                     stream=True, stop=stop)
            for chunk in chunks:
                piece = chunk["choices"][0].get("delta", {}).get("content")
                if piece:
                    now = time.perf_counter()
                    if first:  # a token's own time (the first piece waited for the whole prompt)
                        self._use(self.threads.token(now - last, now))
                    first, last, n = first or now, now, n + 1
                    yield piece
            total = time.perf_counter() - started
            prompt_tokens = max(0, self.llm.n_tokens - n)
            self.last_usage = {"prompt_tokens": prompt_tokens, "completion_tokens": n,
                               "first_token_s": (first or time.perf_counter()) - started, "total_s": total}


class FakeGenerator:
    """Scripted answers for fast tests: `reply(messages) -> str`, streamed in small pieces."""

    def __init__(self, reply):
        self.reply = reply
        self.id = "fake"
        self.last_usage: dict = {}
        self.calls: list[list[dict]] = []

    def stream(self, messages: list[dict], max_tokens: int = 256, stop=None) -> Iterator[str]:
        self.calls.append(messages)
        text = self.reply(messages)
        for i in range(0, len(text), 3):
            yield text[i:i + 3]
        self.last_usage = {"prompt_tokens": sum(len(m["content"]) for m in messages),
                           "completion_tokens": len(text), "first_token_s": 0.0, "total_s": 0.0}


class OpenAIGenerator:
    """Chat completions streamed from OpenAI-compatible servers, round-robin, skipping dead ones.

    A server that fails before or during an answer is skipped and the next one asked. With the
    same seed and temperature 0 the next server writes the same text, so the part already shown
    is not repeated. Every server must serve the same model with the same settings.
    """

    def __init__(self, urls: list[str], *, model: str = "local", api_key: str = "", timeout: float = 120.0,
                 seed: int = 42, temperature: float = 0.0):
        from openai import OpenAI

        if not urls:
            from rag.errors import GenerationError

            raise GenerationError("RAG_LLM_BACKEND=openai needs at least one server: "
                                  "set RAG_LLM_URLS=http://host:port/v1")
        self.urls = [u.rstrip("/") if u.rstrip("/").endswith("/v1") else u.rstrip("/") + "/v1" for u in urls]
        self.clients = [OpenAI(base_url=u, api_key=api_key or "none", timeout=timeout, max_retries=0)
                        for u in self.urls]
        self.model, self.seed, self.temperature = model, seed, temperature
        self.id = f"openai:{model}@{len(urls)}"
        self._turns = itertools.count()
        self.last_usage: dict = {}

    def stream(self, messages: list[dict], max_tokens: int = 256,
               stop: list[str] | None = None) -> Iterator[str]:
        import httpx
        import openai

        from rag.errors import GenerationError

        first, shown, failures = next(self._turns), 0, []
        for attempt in range(len(self.clients)):
            i = (first + attempt) % len(self.clients)
            try:
                for piece in self._from(i, messages, max_tokens, stop, skip=shown):
                    shown += len(piece)
                    yield piece
                return
            # A server dying mid-stream surfaces as httpx's error, not openai's.
            except (openai.APIConnectionError, openai.APITimeoutError, openai.InternalServerError,
                    httpx.TransportError) as exc:
                failures.append(f"{self.urls[i]} ({type(exc).__name__})")
        raise GenerationError("没有可用的回答服务器 / no answer server responded: " + ", ".join(failures)
                              + ". Start one (e.g. python -m llama_cpp.server --model FILE)"
                              " or fix RAG_LLM_URLS.")

    def _sampling(self) -> dict:
        """llama.cpp's sampling extras, set to the in-process values: its server defaults to
        repeat_penalty 1.1 (in-process 1.0), which changes greedy answers ("[1]500个" for "1500个[1]")."""
        return {"top_k": 1 if self.temperature == 0 else 40, "top_p": 0.95, "min_p": 0.05,
                "repeat_penalty": 1.0}

    def _from(self, i: int, messages, max_tokens, stop, skip: int) -> Iterator[str]:
        """Stream from server `i`, leaving out the first `skip` characters (already shown)."""
        started, first, text, n = time.perf_counter(), None, "", 0
        chunks = self.clients[i].chat.completions.create(
            model=self.model, messages=messages, max_tokens=max_tokens, temperature=self.temperature,
            seed=self.seed, stop=stop, stream=True, extra_body=self._sampling())
        for chunk in chunks:
            piece = chunk.choices[0].delta.content if chunk.choices else None
            if not piece:
                continue
            start, text = len(text), text + piece
            first, n = first or time.perf_counter(), n + 1
            if len(text) > skip:
                yield text[max(start, skip):]
        self.last_usage = {"prompt_tokens": 0, "completion_tokens": n, "server": self.urls[i],
                           "first_token_s": (first or time.perf_counter()) - started,
                           "total_s": time.perf_counter() - started}


def load_generator(settings):
    from rag.index.models import resolve

    if settings.llm_backend == "openai":
        return OpenAIGenerator(settings.llm_url_list, model=settings.llm_model,
                               api_key=settings.llm_api_key, timeout=settings.llm_timeout, seed=settings.seed,
                               temperature=settings.temperature)
    path = resolve(settings.llm_role, settings.models_dir)
    return LlamaGenerator(path, n_ctx=settings.n_ctx, n_threads=settings.n_threads, seed=settings.seed,
                          temperature=settings.temperature)
