"""Model tier: the `openai` backend against real `python -m llama_cpp.server` processes (0.5B model).

Answers through a server must match the in-process answers (same prompt, seed, temperature and
citation checking); with two servers, stopping one mid-run must not lose a question.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest

from rag.config import load_settings
from rag.index.models import resolve
from rag.answer.pipeline import Pipeline

from ..conftest import QA, cli_env, free_port, private_copy, wait_ready

pytestmark = [pytest.mark.model, pytest.mark.bench]  # `make bench`: the scale-out path with real servers
pytest.importorskip("llama_cpp.server")

ITEMS = [json.loads(line) for line in QA.read_text(encoding="utf-8").splitlines() if line.strip()]
# Four questions: two while both servers run (one each), two after server A is stopped.
QUESTIONS = [i["question"] for i in ITEMS if not i.get("history") and i.get("sources")][:4]


def start_server(threads: int, log_path) -> tuple[subprocess.Popen, str]:
    settings = load_settings()
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(resolve("llm_fast", settings.models_dir)),
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", str(threads),
           "--n_threads_batch", str(threads), "--n_batch", "512", "--verbose", "False"]
    return _serve(cmd, port, log_path)


def _serve(cmd: list[str], port: int, log_path, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """Start an OpenAI-compatible server; return once its /v1/models answers."""
    proc = subprocess.Popen(cmd, stdout=open(log_path, "w"), stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/v1"
    wait_ready(proc, log_path, lambda: urllib.request.urlopen(url + "/models", timeout=2).read(), 300)
    return proc, url


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _cited(answer) -> list[tuple]:
    return [(c["doc_id"], c["start_line"], c["end_line"]) for c in answer.citations]


def test_server_answers_match_in_process(tmp_path, real_embedder):
    local = Pipeline.from_settings(load_settings(llm_role="llm_fast"), embedder=real_embedder)
    expected = [local.answer(q) for q in QUESTIONS[:4]]
    proc, url = start_server(2, tmp_path / "server.log")
    try:
        remote = Pipeline.from_settings(load_settings(llm_backend="openai", llm_urls=url),
                                        embedder=local.retriever.embedder)
        got = [remote.answer(q) for q in QUESTIONS[:4]]
    finally:
        _stop(proc)
    for want, have in zip(expected, got):
        assert _cited(have) == _cited(want), (want.text, have.text)
        assert have.text == want.text and have.refused == want.refused


def test_two_servers_one_stopped_mid_run(tmp_path, real_embedder):
    (a, url_a), (b, url_b) = start_server(1, tmp_path / "a.log"), start_server(1, tmp_path / "b.log")
    try:
        pipeline = Pipeline.from_settings(load_settings(llm_backend="openai", llm_urls=f"{url_a},{url_b}",
                                                        llm_timeout=60),
                                          embedder=real_embedder)
        answers, served = [], []
        for n, question in enumerate(QUESTIONS):
            if n == 2:
                _stop(a)  # server A goes away between questions 2 and 3
            answers.append(pipeline.answer(question))
            served.append(pipeline.generator.last_usage.get("server"))
    finally:
        _stop(a)
        _stop(b)
    assert len(answers) == len(QUESTIONS)
    assert all(a.text.strip() and (a.citations or a.refused) for a in answers), [a.text for a in answers]
    assert set(served[:2]) == {url_a, url_b} and set(served[2:]) == {url_b}


def test_our_api_answers_the_openai_client_with_citations(tmp_path):
    """`rag serve --api` with the real models, called by the `openai` package, streamed and not."""
    from openai import OpenAI

    port = free_port()
    env = cli_env(**private_copy(tmp_path), RAG_PORT=port)
    proc, url = _serve([sys.executable, "-m", "rag.cli", "serve", "--api"], port, tmp_path / "api.log", env)
    question = [{"role": "user", "content": "绍兴市2023年地区生产总值是多少？"}]
    try:
        client = OpenAI(base_url=url, api_key="none", max_retries=0, timeout=300)
        reply = client.chat.completions.create(model="rag", messages=question)
        chunks = list(client.chat.completions.create(model="rag", messages=question, stream=True))
    finally:
        _stop(proc)
    text = reply.choices[0].message.content
    assert "7791亿元" in text and "[1]" in text
    cited = reply.model_extra["citations"][0]
    assert (cited["n"] == 1 and "7791" in cited["quote"]
            and cited["title"] == "绍兴市2024年政府工作报告")
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(chunks) > 3 and "7791亿元" in streamed
    assert chunks[-1].model_extra["citations"] == reply.model_extra["citations"]
