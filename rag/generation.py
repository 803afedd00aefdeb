"""Generation: one method, `stream(messages) -> Iterator[str]`, over a local GGUF model.

llama.cpp is not re-entrant, so callers serialize access (the UI queues requests). The KV
cache keeps the previous prompt; a new prompt that starts with the same system prompt only
evaluates the tokens after the shared prefix.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol


class Generator(Protocol):
    id: str
    last_usage: dict

    def stream(self, messages: list[dict], max_tokens: int = 256) -> Iterator[str]: ...


class LlamaGenerator:
    def __init__(self, path: Path, *, n_ctx: int = 2048, n_threads: int = 2, seed: int = 42, temperature: float = 0.0):
        from llama_cpp import Llama

        self.llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                         n_batch=512, seed=seed, verbose=False, use_mmap=True)
        self.id = Path(path).name
        self.seed, self.temperature = seed, temperature
        self.lock = threading.Lock()
        self.last_usage: dict = {}

    def stream(self, messages: list[dict], max_tokens: int = 256, stop: list[str] | None = None) -> Iterator[str]:
        with self.lock:
            started, first, n = time.perf_counter(), None, 0
            self.llm.set_seed(self.seed)
            chunks = self.llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=self.temperature,
                                                     top_k=1 if self.temperature == 0 else 40, seed=self.seed,
                                                     stream=True, stop=stop)
            for chunk in chunks:
                piece = chunk["choices"][0].get("delta", {}).get("content")
                if piece:
                    first = first or time.perf_counter()
                    n += 1
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
        self.last_usage = {"prompt_tokens": sum(len(m["content"]) for m in messages), "completion_tokens": len(text),
                           "first_token_s": 0.0, "total_s": 0.0}


def load_generator(settings) -> LlamaGenerator:
    from .models import resolve

    path = resolve(settings.llm_role, settings.models_dir)
    return LlamaGenerator(path, n_ctx=settings.n_ctx, n_threads=settings.n_threads, seed=settings.seed,
                          temperature=settings.temperature)
