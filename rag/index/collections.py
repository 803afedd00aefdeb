"""Collections: several document folders, each with its own index and settings, listed in one registry.

The registry is `<index root>/collections.json`. A collection's index is the folder `<root>/<name>/`,
self-describing like any index (its manifest holds the settings and the embedder id it was built
with). The bundled corpus is the default collection `seeds`, whose index is the root itself: an index
built before collections existed is taken over as it is, without re-embedding.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.errors import InputError
from rag.index import store

REGISTRY = store.REGISTRY
DEFAULT = "seeds"
# Letters (Chinese too), digits, - and _: a name is a folder under the index root and a word in a URL.
_NAME = re.compile(r"[^\W_][\w-]{0,39}")
# Settings a collection may hold apart from the others: how its documents are read and cut.
OVERRIDES = ("ocr", "chunk_size")


@dataclass
class Collection:
    name: str
    docs: str
    index: str  # relative to the index root
    settings: dict = field(default_factory=dict)
    created: str = ""

    def index_dir(self, root: Path) -> Path:
        return (Path(root) / self.index).resolve()


def check_name(name: str) -> str:
    """The name as given, or an error saying what a name may be."""
    reserved = name == "current" or name.startswith("build-")
    if not _NAME.fullmatch(name or "") or reserved:
        raise InputError(f"'{name}' cannot name a collection: use 1–40 letters, digits, - or _ "
                         f"(no spaces, '/' or '..'; not 'current' or 'build-…'), e.g. rag kb create news ...")
    return name


def _seeds(default_docs: Path) -> Collection:
    return Collection(DEFAULT, str(Path(default_docs).resolve()), ".")


def load(root: Path, default_docs: Path) -> dict[str, Collection]:
    """The registered collections by name; the default one is there even before anything is written."""
    path = Path(root) / REGISTRY
    found = {DEFAULT: _seeds(default_docs)}
    if path.is_file():
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))["collections"]
            found |= {row["name"]: Collection(**row) for row in rows if row["name"] != DEFAULT}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"the collection registry {path} is unreadable ({exc}): fix or delete it; "
                             f"the indexes themselves are untouched") from exc
    return found


@contextmanager
def _locked(root: Path):
    """One writer at a time: two `rag kb create` run at once must both end up in the registry."""
    Path(root).mkdir(parents=True, exist_ok=True)
    with open(Path(root) / ".collections.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _save(root: Path, collections: dict[str, Collection]) -> None:
    path, tmp = Path(root) / REGISTRY, Path(root) / f".{REGISTRY}.{os.getpid()}"
    # the default collection is implied (the bundled corpus, indexed at the root): a moved clone still works
    rows = [asdict(c) for name, c in sorted(collections.items()) if name != DEFAULT]
    tmp.write_text(json.dumps({"collections": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _check_docs(docs: Path) -> Path:
    docs = Path(docs).expanduser()
    if not docs.is_dir():
        raise InputError(f"documents folder {docs} does not exist: create it and put documents in it "
                         f"(.txt .md .pdf .docx, scans), then run the command again")
    if not any(p.is_file() and not p.name.startswith(".") for p in docs.rglob("*")):
        raise InputError(f"documents folder {docs} is empty: put documents in it "
                         f"(.txt .md .pdf .docx, scans), then run the command again")
    return docs.resolve()


def create(root: Path, name: str, docs: Path, default_docs: Path, **settings) -> Collection:
    """Register a new collection; its index is built by `rag index --kb NAME`."""
    check_name(name)
    docs = _check_docs(docs)
    with _locked(root):
        known = load(root, default_docs)
        if name in known:
            raise InputError(f"a collection named '{name}' already exists (documents: {known[name].docs}): "
                             f"pick another name, or remove it first with: rag kb remove {name}")
        known[name] = Collection(name, str(docs), name, _own(settings), time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        _save(root, known)
    return known[name]


def update(root: Path, name: str, default_docs: Path, **settings) -> Collection:
    """Change a collection's own settings (chunk size, OCR); its index is rebuilt by the caller."""
    if name == DEFAULT:
        raise InputError(f"'{DEFAULT}' takes its settings from RAG_* variables and flags, e.g. "
                         f"RAG_CHUNK_SIZE=200 rag index")
    chosen = _own(settings)
    if not chosen:
        raise InputError(f"nothing to change: pass --chunk-size N or --ocr on|off, e.g. "
                         f"rag kb set {name} --chunk-size 200")
    with _locked(root):
        known = load(root, default_docs)
        changed = _pick(known, name)
        changed.settings = {**changed.settings, **chosen}
        _save(root, known)
    return changed


def _own(settings: dict) -> dict:
    """The settings a collection keeps apart from the others, of those given."""
    return {k: v for k, v in settings.items() if k in OVERRIDES and v is not None}


def get(root: Path, name: str, default_docs: Path) -> Collection:
    return _pick(load(root, default_docs), name)


def _pick(known: dict[str, Collection], name: str) -> Collection:
    if name not in known:
        raise InputError(f"no collection named '{name}'; there are: {', '.join(sorted(known))}. "
                         f"Create it with: rag kb create {name} --docs DIR")
    return known[name]


def remove(root: Path, name: str, default_docs: Path) -> Collection:
    """Forget a collection and delete its index; its documents folder is never touched."""
    if name == DEFAULT:
        raise InputError(f"'{DEFAULT}' is the default collection (the bundled corpus) and stays; "
                         f"remove the others by name")
    with _locked(root):
        known = load(root, default_docs)
        gone = _pick(known, name)
        _save(root, {k: c for k, c in known.items() if k != name})
    shutil.rmtree(gone.index_dir(root), ignore_errors=True)
    return gone


def select(settings, name: str):
    """The settings for asking or indexing one collection: its index, its documents, its own settings."""
    chosen = get(settings.index_dir, name, settings.docs_dir)
    return settings.with_overrides(index_dir=chosen.index_dir(settings.index_dir), docs_dir=chosen.docs,
                                   **chosen.settings)


def names(kb: str) -> list[str]:
    """The collections a `kb` setting names: one, or several joined by commas ("seeds,news")."""
    return list(dict.fromkeys(n.strip() for n in kb.split(",") if n.strip()))


def selected(settings):
    """`settings` with the one collection it names (`kb`, RAG_KB) chosen; as they are when it names none
    or several (those are chosen one by one by `several`)."""
    asked = names(settings.kb)
    return select(settings, asked[0]) if len(asked) == 1 else settings


def several(settings) -> dict:
    """Each collection's settings by name when `kb` names more than one; {} otherwise."""
    asked = names(settings.kb)
    return {name: select(settings, name) for name in asked} if len(asked) > 1 else {}


def listing(root: Path, default_docs: Path) -> str:
    """`rag kb list`: a line per collection."""
    rows = [describe(root, c) for c in load(root, default_docs).values()]
    cells = [("name", "documents", "chunks", "last build", "embedder", "folder")]
    cells += [(r["name"], str(r["documents"]), str(r["chunks"]), r["built"], r["embedder"], r["docs"])
              for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(5)]
    return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[5]]) for row in cells)


def describe(root: Path, chosen: Collection) -> dict:
    """What `rag kb list` shows: name, documents, chunks, embedder and last build (if built)."""
    manifest = store.read_manifest(chosen.index_dir(root)) or {}
    documents = manifest.get("documents", {})
    return {"name": chosen.name, "docs": chosen.docs, "documents": len(documents),
            "chunks": sum(d.get("chunks", 0) for d in documents.values()),
            "embedder": manifest.get("embedder", {}).get("id", "—"),
            "built": manifest.get("built_at", "not built"), "settings": chosen.settings}
