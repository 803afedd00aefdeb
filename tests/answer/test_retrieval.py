"""Fusion: BM25's ranks count for `lexical_weight` of the dense ranks'."""

from __future__ import annotations

from rag.answer.retrieval import Retriever
from rag.index import store
from rag.index.embedding import HashEmbedder


def test_the_lexical_weight_sets_bm25s_share_in_the_fusion(hash_index):
    data = store.load(hash_index.index_dir, "hash-bigram@256")
    question = "生猪存栏目标"
    dense_only = Retriever(data, HashEmbedder(256), lexical_weight=0.0)
    query = dense_only.embedder.embed([question], kind="query")[0]
    by_dense = [i for i, _ in dense_only.dense(query)][:5]
    assert [data.chunks.index(h.chunk) for h in dense_only.search(question, 5)] == by_dense
    equal = Retriever(data, HashEmbedder(256), lexical_weight=1.0).search(question, 5)
    lexical_top = dense_only.lexical(question)[0][0]
    assert lexical_top in [data.chunks.index(h.chunk) for h in equal]  # BM25's best counts when weighed fully
    configured = Retriever.configured(data, HashEmbedder(256), hash_index)
    assert configured.lexical_weight == hash_index.lexical_weight == 0.1
