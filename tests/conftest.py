"""Shared fixtures. The fast tier uses the weight-free HashEmbedder and scripted generators."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT, load_settings, offline_environment

SEEDS = PROJECT_ROOT / "seeds"
QA = PROJECT_ROOT / "tests" / "qa_dev.jsonl"

offline_environment()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A private copy of the seeds that a test may change."""
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def hash_settings(tmp_path: Path, docs: Path):
    # The hash embedder's cosines are not calibrated like the real one's: no refusal gate here.
    return load_settings(docs_dir=docs, index_dir=tmp_path / "index", embedder_role="hash", embed_dim=256, refuse_below=0.0)


@pytest.fixture
def hash_index(hash_settings):
    from rag.embedding import HashEmbedder
    from rag.indexing import build_index

    build_index(hash_settings, embedder=HashEmbedder(256))
    return hash_settings


def cli_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update({k: str(v) for k, v in extra.items()})
    return env
