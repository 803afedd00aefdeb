"""Service: what the chat app needs from the package, without any Gradio in it.

One embedder and one generator per model role, loaded once and kept warm; llama.cpp is not
re-entrant, so answers run one at a time (the UI queue shows waiting users their position).
Document uploads are confined to the documents folder and followed by an incremental build.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import unicodedata
from pathlib import Path

from rag.index import store
from rag.index.collections import selected
from rag.errors import IndexError_, InputError
from rag.ingest.loading import SUPPORTED
from rag.answer.turns import Event, lines_label
from rag.app.queueing import FairQueue, Stream

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def safe_name(name: str) -> str:
    """A plain file name: no folders, no '..', no control or shell-special characters."""
    base = unicodedata.normalize("NFKC", Path(str(name).replace("\\", "/")).name)
    base = re.sub(r"[\x00-\x1f<>:\"|?*/]+", "_", base).strip(" .")
    if not base or base.startswith("."):
        raise InputError(f"文件名无效 / invalid file name: {name!r}")
    if Path(base).suffix.lower() not in SUPPORTED:
        raise InputError(f"不支持的文件类型 / unsupported file type: {base} "
                         f"(supported: {', '.join(sorted(SUPPORTED))})")
    return base[:120]


def _span(chunk) -> str:
    if chunk.page_start:
        same = chunk.page_end in (None, chunk.page_start)
        return f"第{chunk.page_start}页" if same else f"第{chunk.page_start}–{chunk.page_end}页"
    return lines_label(chunk.start_line, chunk.end_line)


class ChatService:
    def __init__(self, settings, *, embedder=None, generator_factory=None):
        # `base` as given (the index root); `settings` with the collection it names chosen
        self.base, self.settings = settings, selected(settings)
        self._embedder = embedder
        self._generator_factory = generator_factory
        self._generators: dict[str, object] = {}
        self._pipeline = None
        self._collections: dict[str, object] = {}  # pipelines over other collections, by `kb`
        self.lock = threading.RLock()  # guards loading; the FairQueue orders answers and rebuilds
        self.turns = FairQueue()

    # -- loading -------------------------------------------------------------------------
    def embedder(self):
        from rag.index.embedding import load_embedder

        if self._embedder is None:
            self._embedder = load_embedder(self.settings)
        return self._embedder

    def generator(self, role: str):
        from rag.answer.generation import load_generator

        if role not in self._generators:
            factory = self._generator_factory or (
                lambda r: load_generator(self.settings.with_overrides(llm_role=r)))
            self._generators[role] = factory(role)
        return self._generators[role]

    def pipeline(self, role: str | None = None, kb: str = ""):
        from rag.answer.pipeline import Pipeline
        from rag.answer.retrieval import Retriever

        role = role or self.settings.llm_role
        if kb:
            return self._over(kb, role)
        with self.lock:
            if self._pipeline is None:
                data = store.load(self.settings.index_dir, self.embedder().id)
                retriever = Retriever.configured(data, self.embedder(), self.settings)
                self._pipeline = Pipeline(self.settings, retriever, self.generator(role))
            self._pipeline.generator = self.generator(role)
            return self._pipeline

    def _over(self, kb: str, role: str):
        """The pipeline over the collections `kb` names (one, or several joined by commas)."""
        from rag.answer.pipeline import Pipeline

        with self.lock:
            if kb not in self._collections:
                chosen = selected(self.base.with_overrides(kb=kb))
                self._collections[kb] = Pipeline.from_settings(chosen, embedder=self.embedder(),
                                                               generator=self.generator(role))
            self._collections[kb].generator = self.generator(role)
            return self._collections[kb]

    def index_ready(self) -> bool:
        try:
            store.load(self.settings.index_dir, self.embedder().id, verify=False)
            return True
        except IndexError_:
            return False

    # -- answering ------------------------------------------------------------------------
    def stream(self, question: str, history: list, *, k: int | None = None, role: str | None = None,
               kb: str = ""):
        """The pipeline's events, produced in one worker thread, in arrival order.

        Web servers step a generator from whichever pool thread is free, but a lock must be
        released by the thread that took it; so the answer runs start to end in its own thread.
        In-process llama.cpp is not re-entrant: the ticket taken here, at arrival, fixes when this
        answer runs; while it waits, a `queued` event says how many answers are ahead of it.
        Remote answer servers queue for themselves. Closing the stream (停止) stops it at the next token.
        """
        ticket = self.turns.ticket() if self.settings.llm_backend == "llamacpp" else None
        return Stream(lambda stop: self._answer(ticket, stop, question, history, k, role, kb))

    def _answer(self, ticket: int | None, stop: threading.Event, question, history, k, role, kb=""):
        if ticket is None:
            yield from self.pipeline(role, kb).stream(question, history, k=k)
            return
        try:
            if ahead := self.turns.ahead_of(ticket):
                yield Event("queued", ahead)
        except GeneratorExit:  # closed while waiting (停止, client gone): the turn must still be passed on
            with self.turns.turn(ticket):
                pass
            raise
        with self.turns.turn(ticket):
            if not stop.is_set():
                yield from self.pipeline(role, kb).stream(question, history, k=k)

    # -- documents (of the app's collection, or of the one `kb` names) ----------------------
    def settings_for(self, kb: str = ""):
        return selected(self.base.with_overrides(kb=kb)) if kb else self.settings

    def documents(self, kb: str = "") -> list[list]:
        manifest = store.read_manifest(self.settings_for(kb).index_dir) or {}
        return [[doc_id, info.get("title", ""), info.get("chunks", 0), info.get("sha256", "")[:12]]
                for doc_id, info in sorted(manifest.get("documents", {}).items())]

    def chunks(self, doc_id: str, kb: str = "") -> list[list]:
        """A document's chunks as indexed: number, section, lines or pages, characters, text."""
        data = store.load(self.settings_for(kb).index_dir, self.embedder().id, verify=False)
        return [[n, c.section, _span(c), len(c.text), c.text]
                for n, c in enumerate((c for c in data.chunks if c.doc_id == doc_id), 1)]

    def built_at(self, kb: str = "") -> str:
        return (store.read_manifest(self.settings_for(kb).index_dir) or {}).get("built_at", "—")

    def rebuild(self, kb: str = ""):
        from rag.index.building import build_index

        with self.turns.turn(self.turns.ticket()), self.lock:
            report = build_index(self.settings_for(kb), embedder=self.embedder())
            self._pipeline = None  # the next answer loads the new build
            self._collections.clear()
        return report

    def add_files(self, paths: list[str], kb: str = "") -> tuple[list[str], list[str]]:
        """Copy uploads into the documents folder. Returns (added names, problems)."""
        docs = Path(self.settings_for(kb).docs_dir).resolve()
        added, problems = [], []
        for path in paths:
            try:
                name = safe_name(Path(path).name)
                if Path(path).stat().st_size > MAX_UPLOAD_BYTES:
                    raise InputError(f"{name}: 文件超过 {MAX_UPLOAD_BYTES // 2**20} MB / file too large")
                target = (docs / name).resolve()
                if target.parent != docs:
                    raise InputError(f"文件名无效 / invalid file name: {name}")
                shutil.copyfile(path, target)
                added.append(name)
            except (InputError, OSError) as exc:
                problems.append(str(exc))
        return added, problems

    def remove(self, doc_id: str, kb: str = "") -> None:
        docs = Path(self.settings_for(kb).docs_dir).resolve()
        target = (docs / doc_id).resolve()
        if docs not in target.parents or not target.is_file():
            raise InputError(f"没有这个文档 / no such document: {doc_id}")
        target.unlink()

    def feedback(self, record: dict) -> None:
        path = Path(self.settings.feedback_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        manifest = store.read_manifest(self.settings.index_dir) or {}
        record = {**record, "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
                  "index": manifest.get("files", {}).get("vectors.npy", "")}
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
