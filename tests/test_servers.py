"""Model tier: the `openai` backend against real `python -m llama_cpp.server` processes (0.5B model).

Answers through a server must match the in-process answers (same prompt, seed, temperature and
citation checking); with two servers, stopping one mid-run must not lose a question.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from rag.config import load_settings
from rag.models import resolve
from rag.pipeline import Pipeline

from .conftest import QA, free_port

pytestmark = pytest.mark.model
pytest.importorskip("llama_cpp.server")

ITEMS = [json.loads(line) for line in QA.read_text(encoding="utf-8").splitlines() if line.strip()]
QUESTIONS = [i["question"] for i in ITEMS if not i.get("history") and i.get("sources")][:6]


def start_server(threads: int, log_path) -> tuple[subprocess.Popen, str]:
    settings = load_settings()
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(resolve("llm_fast", settings.models_dir)),
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", str(threads),
           "--n_threads_batch", str(threads), "--n_batch", "512", "--verbose", "False"]
    proc = subprocess.Popen(cmd, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 180
    while time.time() < deadline:
        assert proc.poll() is None, open(log_path).read()
        try:
            urllib.request.urlopen(url + "/models", timeout=2).read()
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise AssertionError("llama_cpp.server did not start")


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _cited(answer) -> list[tuple]:
    return [(c["doc_id"], c["start_line"], c["end_line"]) for c in answer.citations]


def test_server_answers_match_in_process(tmp_path):
    local = Pipeline.from_settings(load_settings(llm_role="llm_fast"))
    expected = [local.answer(q) for q in QUESTIONS[:4]]
    proc, url = start_server(2, tmp_path / "server.log")
    try:
        remote = Pipeline.from_settings(load_settings(llm_backend="openai", llm_urls=url), embedder=local.retriever.embedder)
        got = [remote.answer(q) for q in QUESTIONS[:4]]
    finally:
        _stop(proc)
    for want, have in zip(expected, got):
        assert _cited(have) == _cited(want), (want.text, have.text)
        assert have.text == want.text and have.refused == want.refused


def test_two_servers_one_stopped_mid_run(tmp_path):
    (a, url_a), (b, url_b) = start_server(1, tmp_path / "a.log"), start_server(1, tmp_path / "b.log")
    try:
        pipeline = Pipeline.from_settings(load_settings(llm_backend="openai", llm_urls=f"{url_a},{url_b}", llm_timeout=60))
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
