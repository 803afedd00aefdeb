"""Service: what the chat app needs from the package, without any Gradio in it.

One embedder and one generator per model role, loaded once and kept warm; llama.cpp is not
re-entrant, so answers run one at a time (the UI queue shows waiting users their position).
Document uploads are confined to the documents folder and followed by an incremental build.
"""

from __future__ import annotations

import contextlib
import json
import queue
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
from rag.answer.turns import Event

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


_DONE = object()


class FairQueue:
    """Turns granted strictly in the order tickets were taken: first come, first served.

    A plain lock wakes an arbitrary waiter, so under load a later question could overtake an
    earlier one; here the order is fixed when `ticket()` is called, whatever the scheduler does.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._issued = 0
        self._serving = 0

    def ticket(self) -> int:
        with self._cond:
            self._issued += 1
            return self._issued - 1

    def ahead_of(self, ticket: int) -> int:
        with self._cond:
            return max(0, ticket - self._serving)

    @contextlib.contextmanager
    def turn(self, ticket: int):
        """Wait for `ticket`'s turn; the turn passes on when the block ends, however it ends."""
        with self._cond:
            self._cond.wait_for(lambda: self._serving == ticket)
        try:
            yield
        finally:
            with self._cond:
                self._serving += 1
                self._cond.notify_all()


class _Stream:
    """Items of `make()` produced in a worker thread started now, handed over a queue.

    The worker starts at once so that a turn taken in a FairQueue is always given back, even by a
    caller that never iterates (a client gone before its turn); closing or dropping this object
    tells the worker to stop at the next item.
    """

    def __init__(self, make):
        self._items: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._done = False
        # The worker holds the queue and the event, not this object, so dropping it runs `close`.
        threading.Thread(target=_work, args=(make, self._items, self._stop), daemon=True,
                         name="answer").start()

    def __iter__(self):
        return self

    def __next__(self):
        item = _DONE if self._done else self._items.get()
        if item is _DONE:
            self._done = True
            raise StopIteration
        if isinstance(item, _Failure):
            self._done = True
            raise item.error
        return item

    def close(self) -> None:
        self._stop.set()

    __del__ = close


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


def _work(make, items: queue.Queue, stop: threading.Event) -> None:
    events = make(stop)
    try:
        for item in events:
            items.put(item)
            if stop.is_set():
                break
    except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
        items.put(_Failure(exc))
    finally:
        events.close()
        items.put(_DONE)


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
                retriever = Retriever(data, self.embedder(), candidates=self.settings.candidates,
                                      rrf_k=self.settings.rrf_k)
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
        return _Stream(lambda stop: self._answer(ticket, stop, question, history, k, role, kb))

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

    # -- documents ------------------------------------------------------------------------
    def documents(self) -> list[list]:
        manifest = store.read_manifest(self.settings.index_dir) or {}
        return [[doc_id, info.get("title", ""), info.get("chunks", 0), info.get("sha256", "")[:12]]
                for doc_id, info in sorted(manifest.get("documents", {}).items())]

    def built_at(self) -> str:
        return (store.read_manifest(self.settings.index_dir) or {}).get("built_at", "—")

    def rebuild(self):
        from rag.index.building import build_index

        with self.turns.turn(self.turns.ticket()), self.lock:
            report = build_index(self.settings, embedder=self.embedder())
            self._pipeline = None  # the next answer loads the new build
        return report

    def add_files(self, paths: list[str]) -> tuple[list[str], list[str]]:
        """Copy uploads into the documents folder. Returns (added names, problems)."""
        docs = Path(self.settings.docs_dir).resolve()
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

    def remove(self, doc_id: str) -> None:
        docs = Path(self.settings.docs_dir).resolve()
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
