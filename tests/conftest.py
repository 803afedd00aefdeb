"""Shared fixtures. The fast tier uses the weight-free HashEmbedder and scripted generators."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT, load_settings, offline_environment

from .tiers import pytest_collection_modifyitems, pytest_report_header, pytest_runtest_logreport  # noqa: F401
from .tiers import pytest_terminal_summary  # noqa: F401

SEEDS = PROJECT_ROOT / "seeds"
QA = PROJECT_ROOT / "tests" / "data" / "qa_dev.jsonl"
GENERAL = PROJECT_ROOT / "tests" / "data" / "corpus_general"

offline_environment()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A private copy of the seeds that a test may change."""
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def hash_settings(tmp_path: Path, docs: Path):
    # The hash embedder's cosines are not calibrated like the real one's: no refusal gate, no metric check.
    return load_settings(docs_dir=docs, index_dir=tmp_path / "index", embedder_role="hash", embed_dim=256,
                         refuse_below=0.0, metric_below=0.0)


@pytest.fixture
def two_services(hash_index):
    """A ChatService over the seeds (fakes behind it) with the second corpus as a collection `general`
    beside them, indexed with the hash embedder."""
    from rag.answer.generation import FakeGenerator
    from rag.app.service import ChatService
    from rag.index import collections
    from rag.index.building import build_index
    from rag.index.embedding import HashEmbedder
    from tests.app.test_ui import _cite_first

    collections.create(hash_index.index_dir, "general", GENERAL, hash_index.docs_dir)
    build_index(collections.select(hash_index, "general"), embedder=HashEmbedder(256))
    return ChatService(hash_index, embedder=HashEmbedder(256),
                       generator_factory=lambda r: FakeGenerator(_cite_first))


@pytest.fixture
def hash_index(hash_settings):
    from rag.index.embedding import HashEmbedder
    from rag.index.building import build_index

    build_index(hash_settings, embedder=HashEmbedder(256))
    return hash_settings


# -- the real models, loaded once per test session and shared by every tier that needs them --------

@pytest.fixture(scope="session")
def real_settings():
    return load_settings()


@pytest.fixture(scope="session")
def real_embedder(real_settings):
    from rag.index.embedding import load_embedder

    return load_embedder(real_settings)


@pytest.fixture(scope="session")
def real_generator(real_settings):
    from rag.answer.generation import load_generator

    return load_generator(real_settings)


def cli_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def private_copy(tmp: Path) -> dict:
    """Private copies of the seeds and the built index, so an app under test cannot touch the real ones."""
    if not (tmp / "docs").exists():
        shutil.copytree(SEEDS, tmp / "docs")
        shutil.copytree(PROJECT_ROOT / "index", tmp / "index", symlinks=True)
    return {"RAG_DOCS_DIR": tmp / "docs", "RAG_INDEX_DIR": tmp / "index",
            "RAG_FEEDBACK_PATH": tmp / "feedback.jsonl"}


def start_app(tmp: Path, port: int | None = None, timeout: float = 300) -> tuple[subprocess.Popen, str]:
    """`python app.py` on a loopback port over `private_copy(tmp)`; returns once it accepts connections."""
    port = port or free_port()
    env = cli_env(**private_copy(tmp), RAG_PORT=port, GRADIO_ANALYTICS_ENABLED="False")
    log = open(tmp / f"app-{port}.log", "a")
    proc = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "app.py")], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    wait_ready(proc, tmp / f"app-{port}.log",
               lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close(), timeout)
    return proc, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="session")
def seeds_app(tmp_path_factory):
    """One real app (app.py, real models) over private copies of the seeds and index, shared by the browser
    and load tiers; its log is read from the start by the browser tier's last test."""
    from types import SimpleNamespace

    tmp = tmp_path_factory.mktemp("app")
    proc, url = start_app(tmp)
    yield SimpleNamespace(proc=proc, url=url, tmp=tmp, log=next(tmp.glob("app-*.log")))
    proc.terminate()
    proc.wait(timeout=30)


def wait_ready(proc: subprocess.Popen, log_path: Path, ready, timeout: float) -> None:
    """Poll `ready()` (raises OSError until the server answers); fail with the log if the process dies."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, Path(log_path).read_text(errors="replace")
        try:
            ready()
            return
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise AssertionError(f"{proc.args} did not start within {timeout} s")


class ServerThread:
    """A uvicorn server for an ASGI app on a loopback port, in a thread (fast tier: fakes behind it)."""

    def __init__(self, app, port: int | None = None):
        import threading

        import uvicorn

        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started and time.time() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"
