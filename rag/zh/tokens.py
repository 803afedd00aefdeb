"""Chinese word tokens for BM25: jieba's search-mode cut on simplified text."""

from __future__ import annotations

import functools
import logging
import re

_KEEP = re.compile(r"[\w\u4e00-\u9fff]")
# Function words that appear in nearly every chunk and only dilute BM25 scores.
STOPWORDS = frozenset("的 了 和 与 及 是 在 对 为 把 将 等 以 于 中 上 下 个 年 多少 什么 哪些 哪 几 吗 呢 请问 是否 怎么 如何 分别 其中".split())


@functools.lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    from rag.zh.script import to_simplified

    words = _jieba().lcut_for_search(to_simplified(text).lower())
    return [w for w in words if _KEEP.search(w) and w not in STOPWORDS]


def words(text: str) -> list[str]:
    """Whole words (jieba's default cut, no sub-words): what a reader calls the words of a question."""
    from rag.zh.script import to_simplified

    return [w for w in _jieba().lcut(to_simplified(text).lower()) if _KEEP.search(w) and w not in STOPWORDS]


def word_starts(text: str) -> set[int]:
    """Offsets in `text` where jieba's default cut starts a word: Chinese writes no spaces, so this is
    where a name may begin."""
    return {start for _, start, _ in _jieba().tokenize(text)}


def person_names(text: str) -> list[str]:
    """Words jieba tags as personal names (noisy for two-character words: callers filter)."""
    import jieba.posseg

    _jieba()
    return [w for w, flag in jieba.posseg.cut(text) if flag == "nr"]
