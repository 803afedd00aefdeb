"""One typed settings object: defaults, overridden by RAG_* environment variables, then CLI flags."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def physical_cores() -> int:
    """Cores this process may use, counting each physical core once.

    llama.cpp and OpenVINO are compute-bound: a second hardware thread on the same core adds
    little and contends for its units, and more threads than free cores collapses generation.
    """
    try:
        allowed = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        allowed = os.cpu_count() or 1
    try:
        import psutil

        physical = psutil.cpu_count(logical=False) or allowed
    except ImportError:
        physical = allowed
    return max(1, min(allowed, physical))


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag"


@dataclass
class Settings:
    docs_dir: Path = PROJECT_ROOT / "seeds"
    # The index root: the default collection's index, the registry and the other collections' folders.
    index_dir: Path = PROJECT_ROOT / "index"
    kb: str = ""  # the collection asked or indexed ("" = the default, the bundled corpus)
    # Weights live once per machine, outside any clone; models/ links to them.
    models_dir: Path = field(default_factory=lambda: _default_cache() / "models")
    llm_role: str = "llm"
    # Generation backend: "llamacpp" (in-process, default) or "openai" (OpenAI-compatible servers).
    llm_backend: str = "llamacpp"
    llm_urls: str = ""  # comma-separated base URLs, e.g. http://10.0.0.5:8000/v1,http://10.0.0.6:8000/v1
    llm_model: str = "local"
    llm_api_key: str = ""
    llm_timeout: float = 120.0
    # Vector store: "faiss" (files in the index folder, default) or "milvus" (pymilvus; a path = Milvus Lite).
    store: str = "faiss"
    milvus_uri: str = ""
    api_key: str = ""  # if set, our /v1 API requires "Authorization: Bearer <key>"
    embedder_role: str = "embedder"
    # Chunker: chosen by measurement on the dev set (see README, "Chunk size").
    chunk_size: int = 300
    chunk_overlap: int = 60
    clean_text: bool = True  # off only for the naive baseline in `rag bench`
    # scanned PDF pages and .png/.jpg through OCR (rag/ocr.py); off: they are skipped with a reason
    ocr: bool = True
    embed_dim: int = 768
    embed_batch: int = 64  # texts per call: the embedder sorts each call's texts by length to pad little
    embed_max_tokens: int = 512
    # "auto": the OpenVINO recipe measured fastest on this CPU (rag.index.recipes); a recipe's name forces
    # it; "fp32": torch, the slower fallback (README, "Speed")
    embed_precision: str = "auto"
    index_kind: str = "flat"
    top_k: int = 4
    passage_chars: int = 160
    # Each trimmed passage also shows its clause nearest the question by meaning (users' own words).
    nearest_clause: bool = True
    candidates: int = 30
    rrf_k: int = 60
    # BM25's share in the fusion, against 1 for dense: measured on paraphrased and user-worded questions.
    lexical_weight: float = 0.1
    # After a model refusal, one more call with the single passage holding this share of the question's words.
    second_look: float = 0.6
    # … and when no passage holds that share, with the passage nearest the question by meaning.
    second_look_by_meaning: bool = True
    # Checks turned off, comma-separated (rag.grounding.checks.NAMES), to measure what each one does.
    checks_off: str = ""
    # The metric check: a cited figure's clause whose cosine to the question is under this is not about
    # the asked thing. Off (0) by default: at 0.33 it cost more answers than the bar allows
    # (docs/benchmarks.md, "What each check did").
    metric_below: float = 0.0
    refuse_below: float = 0.25  # dense cosine; dev set: off-topic ≤ 0.20, answerable ≥ 0.28 (see README)
    max_question_chars: int = 500
    max_answer_tokens: int = 256
    n_ctx: int = 2048
    n_threads: int = field(default_factory=physical_cores)
    seed: int = 42
    temperature: float = 0.0
    host: str = "127.0.0.1"
    port: int = 7860
    feedback_path: Path = PROJECT_ROOT / "runs" / "feedback.jsonl"

    @property
    def llm_url_list(self) -> list[str]:
        return [u.strip() for u in self.llm_urls.split(",") if u.strip()]

    def with_overrides(self, **values) -> "Settings":
        clean = {k: v for k, v in values.items() if v is not None}
        return dataclasses.replace(self, **{k: _coerce(self, k, v) for k, v in clean.items()})

    def to_dict(self) -> dict:
        """Resolved settings as saved with the index and the eval: secrets are masked."""
        return {f.name: ("***" if v and f.name.endswith("api_key") else str(v) if isinstance(v, Path) else v)
                for f in fields(self) for v in [getattr(self, f.name)]}


def _coerce(settings: Settings, name: str, value):
    current = getattr(settings, name)
    if isinstance(current, bool):
        return str(value).lower() in {"1", "true", "yes", "on"}
    if isinstance(current, Path):
        return Path(value).expanduser()
    return type(current)(value)


def load_settings(**overrides) -> Settings:
    """Defaults < RAG_<NAME> environment variables < explicit overrides (CLI flags)."""
    base = Settings()
    env = {f.name: os.environ[f"RAG_{f.name.upper()}"] for f in fields(Settings)
           if f"RAG_{f.name.upper()}" in os.environ}
    return base.with_overrides(**env).with_overrides(**overrides)


def offline_environment() -> None:
    """No hub is reachable here or on users' air-gapped machines: never try."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[var] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
