"""Milvus store backend: the dense vectors of one build in one Milvus collection.

Chunks, BM25 and the manifest stay in the index folder (BM25 with jieba tokens is what the
dev set was measured with); only dense search moves to Milvus. `MilvusIndex` answers the two
questions the retriever asks of a FAISS index (`search`, `ntotal`), so nothing above the store
changes. A file path as URI runs Milvus Lite in-process; `http://host:19530` is a server or
cluster, same client API. Each build writes its own collection, named after the build folder,
and the previous build's collection is dropped when the new one is published.
"""

from __future__ import annotations

import re
import threading

import numpy as np

from rag.errors import IndexError_

_clients: dict[str, object] = {}
_lock = threading.Lock()


def client(uri: str):
    """One client per URI and process: Milvus Lite allows one opener per database file."""
    if not uri:
        raise IndexError_("the milvus store needs a URI: pass --milvus-uri "
                          "(a file path for Milvus Lite, or http://host:19530)")
    if "://" not in uri and not uri.endswith(".db"):
        raise IndexError_(f"Milvus URI {uri!r}: use http://host:19530 for a server, "
                          f"or a file name ending in .db for Milvus Lite")
    with _lock:
        if uri not in _clients:
            from pymilvus import MilvusClient

            try:
                _clients[uri] = MilvusClient(uri=uri)
            except Exception as exc:  # connection and lock failures surface as many types
                raise IndexError_(f"cannot open Milvus at {uri} ({type(exc).__name__}: {exc}). "
                                  f"Is the server up, "
                                  f"or another process holding this Milvus Lite file?") from exc
        return _clients[uri]


def collection_name(build_name: str) -> str:
    return "rag_" + re.sub(r"\W", "_", build_name)


def write(uri: str, name: str, vectors: np.ndarray, doc_ids: list[str]) -> None:
    """Create `name` (flat inner-product index, as the FAISS default) and insert one row per chunk."""
    from pymilvus import DataType

    milvus = client(uri)
    if milvus.has_collection(name):
        milvus.drop_collection(name)  # a retry of the same build starts clean
    schema = milvus.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=int(vectors.shape[1]))
    schema.add_field("doc_id", DataType.VARCHAR, max_length=512)
    params = milvus.prepare_index_params()
    params.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
    milvus.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")
    rows = [{"id": i, "vector": v.tolist(), "doc_id": d} for i, (v, d) in enumerate(zip(vectors, doc_ids))]
    for start in range(0, len(rows), 1000):
        milvus.insert(name, rows[start:start + 1000])
    milvus.flush(name)


def drop(uri: str, name: str) -> None:
    try:
        milvus = client(uri)
        if milvus.has_collection(name):
            milvus.drop_collection(name)
    except Exception:  # noqa: BLE001 - an unreachable server only leaves an orphan collection behind
        pass


class MilvusIndex:
    """The FAISS-index surface the retriever uses, answered by a Milvus collection."""

    def __init__(self, uri: str, name: str):
        self.uri, self.name = uri, name
        milvus = client(uri)
        if not milvus.has_collection(name):
            raise IndexError_(f"Milvus at {uri} has no collection {name}. "
                              f"Run: rag index --rebuild --store milvus "
                              f"--milvus-uri {uri}")
        milvus.load_collection(name)
        self.ntotal = int(milvus.get_collection_stats(name).get("row_count", 0))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        hits = client(self.uri).search(self.name, data=[q.tolist() for q in queries], limit=k,
                                       search_params={"metric_type": "IP"}, output_fields=[])
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        for row, found in enumerate(hits):
            for col, hit in enumerate(found[:k]):
                ids[row, col], scores[row, col] = hit["id"], hit["distance"]
        return scores, ids
