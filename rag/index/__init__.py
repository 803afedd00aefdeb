"""Index: model weights, the embedder and its per-machine runtime, and the self-describing index folder.

Turns Chunks into vectors and a BM25 index, built incrementally and swapped in atomically
(FAISS on disk, or Milvus). Hands on `IndexData` (chunks, vectors, BM25) and the embedder.
"""
