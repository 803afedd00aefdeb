"""Explaining: what an answer rests on, for a reader who wants to check it.

`explain()` lists every passage the model saw and the best few it did not, each with its
document, section, dense score and rank, BM25 rank and the question's words found in it; it
says which passage each citation points to and, for a refusal, why in one line. The pipeline
builds it once per answer (`Answer.retrieval`); the UI renders it, the CLI and API serialize it.
"""

from __future__ import annotations

import functools

from rag.zh.places import place_chain, suffixed_names
from rag.zh.specifiers import years as years_in
from rag.zh.script import normalize, to_simplified
from rag.zh.tokens import tokenize, words

UNSEEN = 3  # best passages the model did not see that are listed after the ones it saw

REASONS = {
    "instruction": "问题只包含对助手的指令，没有可以依据资料回答的内容",
    "empty": "索引中没有与问题相关的段落",
    "low_score": "最接近的段落与问题的语义相似度 {best:.2f}，低于阈值 {threshold:.2f}",
    "model": "模型判断提供的段落中没有答案",
    "withheld": "模型的回答没有可核对的引用，或所引用的段落不是关于所问的对象，回答已拦下",
    "scope": "检索到的段落都不是关于所问的对象（地区、年份、届次、型号或实际/计划），没有请模型回答",
}


def terms_of(question: str) -> list[str]:
    """The question's words; single characters only when they are figures."""
    return list(dict.fromkeys(w for w in words(question) if len(w) >= 2 or w.isdigit()))


def found_terms(terms: list[str], text: str) -> list[str]:
    """The terms `text` contains; for a long word it lacks ("体育场地"), the shorter words inside it it has
    ("体育场")."""
    found = []
    for term in terms:
        parts = ([term] if term in text
                 else [t for t in tokenize(term) if len(t) >= 2 and t != term and t in text])
        found += [p for p in parts if p not in found and not any(p != q and p in q for q in parts)]
    return found


@functools.lru_cache(maxsize=256)
def _named_places(question: str) -> tuple[str, ...]:
    return tuple(suffixed_names(words(question)))


def asked_places(question: str, known: set[str] = frozenset()) -> list[str]:
    """Places the question names, without 省/市/区/县: the corpus's own place names and any other.

    A place that no document is about ("杭州市" over Shaoxing's reports) is the case a reader most
    needs to see, so names are not limited to the corpus's.
    """
    simplified = to_simplified(question)
    found = [name for name in known if name in simplified] + list(_named_places(simplified))
    core = [(place_chain(p) or [p])[-1] for p in found]
    return sorted({c for c in core if not any(c != o and c in o for o in core)}, key=simplified.find)


def _where(item) -> str:
    return " ".join(str(x) for x in (item.get("place"), item.get("title"), item.get("section"),
                                     item.get("full_text")) if x)


def _about(item) -> str:
    """What a passage is about: its document's place, title and section. Its body counts only
    when the document has no place: Shaoxing's report mentions "杭州亚运会" without being about Hangzhou."""
    return " ".join(str(x) for x in (item.get("place"), item.get("title"), item.get("section")) if x) \
        if item.get("place") else _where(item)


def _entry(item: dict, terms: list[str], cited: set, seen: bool) -> dict:
    ranks = item.get("ranks") or {}
    text = to_simplified(_where(item)).lower()
    return {"n": item.get("n") if seen else None, "seen": seen, "cited": seen and item.get("n") in cited,
            "chunk_id": item["chunk_id"], "doc_id": item["doc_id"], "title": item["title"],
            "section": item.get("section", ""), "place": item.get("place", ""),
            "start_line": item["start_line"], "end_line": item["end_line"],
            "page_start": item.get("page_start"), "page_end": item.get("page_end"),
            "dense_score": round(float(item.get("dense_score", 0.0)), 4), "dense_rank": ranks.get("dense"),
            "bm25_rank": ranks.get("bm25"), "found_by": [r for r in ("dense", "bm25") if r in ranks],
            "terms": found_terms(terms, text), "text": item.get("text", "")}


def hit_item(hit, text: str) -> dict:
    """A retrieval Hit the model did not see, in the shape of a passage."""
    c = hit.chunk
    return {"chunk_id": c.id, "doc_id": c.doc_id, "title": c.title, "section": c.section, "place": c.place,
            "start_line": c.start_line, "end_line": c.end_line, "page_start": getattr(c, "page_start", None),
            "page_end": getattr(c, "page_end", None), "ranks": dict(hit.ranks),
            "dense_score": hit.dense_score, "full_text": c.text, "text": text}


def passage_item(p) -> dict:
    """A prompting Passage (what the model saw) as a plain dict, its dense score under one name."""
    return {**p.to_dict(), "dense_score": p.score}


def scope_gaps(question: str, items: list[dict], known: set[str] = frozenset()) -> list[str]:
    """Places the question asks about that none of `items` is about, and years none mentions."""
    about = normalize(" ".join(_about(i) for i in items))
    gaps = [f"“{place}”" for place in asked_places(question, known) if place not in about]
    return gaps + [f"{year}年"
                   for year in sorted(years_in(question) - years_in(" ".join(_where(i) for i in items)))]


def _closest(entries: list[dict], n: int = 2) -> str:
    best = sorted(entries, key=lambda e: -e["dense_score"])[:n]
    return "、".join(f"《{e['title']}》{e['section'].split(' > ')[0]} {e['dense_score']:.2f}" for e in best)


def reason(cause: str | None, entries: list[dict], gaps: list[str], threshold: float,
           missing: str = "") -> str:
    """One line: why no answer was given (the place or period nobody wrote about comes first)."""
    seen = [e for e in entries if e["seen"]]
    best = max((e["dense_score"] for e in seen), default=0.0)
    cause = cause if cause in REASONS else "model"
    gaps = gaps or ([f"“{missing.strip('“”')}”"] if missing else [])
    parts = [f"没有段落提到问题中的{'、'.join(gaps)}"] if gaps and cause != "instruction" else []
    if cause != "model" or not parts:
        parts.append(REASONS[cause].format(best=best, threshold=threshold))
    if seen:
        parts.append("得分最高的段落：" + _closest(seen))
    return "；".join(parts) + "。"


def explain(question: str, seen: list[dict], unseen: list[dict], citations: list[dict], *, refused: bool,
            cause: str | None = None, threshold: float = 0.0, known_places: set[str] = frozenset(),
            missing: str = "") -> dict:
    """The retrieval details of one answer (see the module docstring); `seen`/`unseen` are passage dicts."""
    terms = terms_of(question)
    cited = {c["n"] for c in citations}
    entries = [_entry(i, terms, cited, True) for i in seen] + [_entry(i, terms, cited, False) for i in unseen]
    gaps = scope_gaps(question, [i for i in seen if i.get("n") in cited] if cited and not refused else seen,
                      known_places)
    note = None
    if gaps and not refused:
        note = f"所引用的段落没有提到问题中的{'、'.join(gaps)}，请核对回答是否针对所问的对象"
    return {"question": question, "terms": terms, "places": asked_places(question, known_places),
            "years": sorted(years_in(question)), "passages": entries,
            "citations": [{"n": c["n"], "chunk_id": c["chunk_id"]} for c in citations],
            "note": note, "reason": reason(cause, entries, gaps, threshold, missing) if refused else None,
            "threshold": threshold}

