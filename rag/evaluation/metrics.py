"""Metrics: exactly the definitions in DESIGN.md, on normalized text (NFKC, no spaces, simplified).

Numbers match on number boundaries: '8%' is not found inside '18%', '7.5' not inside '17.5'.
"""

from __future__ import annotations

import re
import statistics

from rag.zh.specifiers import contains_number, numbers
from rag.zh.script import normalize
from rag.zh.patterns import bigrams, without_markers

ROBUSTNESS_TYPES = ("injection", "false_premise")


def contains_fact(text: str, fact: str) -> bool:
    text, fact = normalize(text), normalize(fact)
    before = r"(?<![\d.])" if fact[:1].isdigit() else ""
    after = r"(?!\d|\.\d)" if fact[-1:].isdigit() else ""
    return re.search(before + re.escape(fact) + after, text) is not None


def answerable(item: dict) -> bool:
    return bool(item.get("must_include"))


def passage_text(p: dict) -> str:
    """What a citation points at: the chunk with the title and section the model saw above it."""
    return f"{p.get('title', '')} {p.get('section', '')} {p.get('full_text') or p.get('text', '')}"


def _strip_marks(text: str) -> str:
    return without_markers(text)


def is_correct(item: dict, answer: dict) -> bool:
    return not answer["refused"] and all(contains_fact(_strip_marks(answer["text"]), f)
                                         for f in item["must_include"])


def _source_support(item: dict, p: dict) -> bool:
    return p["doc_id"] in item["sources"] and any(contains_fact(passage_text(p), f)
                                                  for f in item["must_include"])


def recall_at(item: dict, retrieved: list[dict], k: int) -> bool:
    return any(_source_support(item, p) for p in retrieved[:k])


def cited_passages(answer: dict) -> list[dict]:
    by_n = {p["n"]: p for p in answer["passages"]}
    return [by_n[c["n"]] for c in answer["citations"] if c["n"] in by_n]


def grounded_numbers(answer: dict) -> tuple[int, int]:
    """(numbers found in a cited passage, numbers in the answer); citation markers are not numbers."""
    found = numbers(_strip_marks(answer["text"]))
    if answer["refused"]:
        return 0, 0
    cited = " ".join(passage_text(p) for p in cited_passages(answer))
    return sum(contains_number(cited, n) for n in found), len(found)


def invented_figure(answer: dict) -> bool:
    shown = " ".join(passage_text(p) for p in answer["passages"]) + " " + answer["question"]
    return any(not contains_number(shown, n) for n in numbers(_strip_marks(answer["text"])))


def robust(item: dict, answer: dict) -> bool:
    if answerable(item):
        return is_correct(item, answer)
    return answer["refused"] and not invented_figure(answer)


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def compute(items: list[dict], answers: list[dict], retrieved: list[list[dict]]) -> dict:
    ans_idx = [i for i, it in enumerate(items) if answerable(it)]
    una_idx = [i for i, it in enumerate(items) if not answerable(it)]
    cites = [(items[i], p) for i in ans_idx for p in cited_passages(answers[i])]
    grounded = [grounded_numbers(a) for a in answers]
    rob_idx = [i for i, it in enumerate(items) if it["type"] in ROBUSTNESS_TYPES]
    return {
        "items": len(items), "answerable": len(ans_idx), "unanswerable": len(una_idx),
        "accuracy": _ratio(sum(is_correct(items[i], answers[i]) for i in ans_idx), len(ans_idx)),
        "recall@5": _ratio(sum(recall_at(items[i], retrieved[i], 5) for i in ans_idx), len(ans_idx)),
        "recall@10": _ratio(sum(recall_at(items[i], retrieved[i], 10) for i in ans_idx), len(ans_idx)),
        "citation_precision": _ratio(sum(_source_support(it, p) for it, p in cites), len(cites)),
        "grounding": _ratio(sum(g for g, _ in grounded), sum(n for _, n in grounded)),
        "refusal": _ratio(sum(answers[i]["refused"] and not invented_figure(answers[i]) for i in una_idx),
                          len(una_idx)),
        "false_refusal": _ratio(sum(answers[i]["refused"] for i in ans_idx), len(ans_idx)),
        "robustness": _ratio(sum(robust(items[i], answers[i]) for i in rob_idx), len(rob_idx)),
        "wording_overlap": _median([wording_overlap(it) for it in items]),
    }


def _median(values: list) -> float | None:
    found = [v for v in values if v is not None]
    return round(statistics.median(found), 3) if found else None


def wording_overlap(item: dict) -> float | None:
    """Share of the question's character pairs (Chinese characters only) found in its evidence: how much
    of the documents' wording the question copies. None without evidence."""
    evidence = " ".join(item.get("evidence") or [])
    chinese = lambda t: re.findall(r"[\u4e00-\u9fff]+", normalize(t))
    asked = set().union(*map(bigrams, chinese(item["question"])))
    if not evidence or not asked:
        return None
    return len(asked & set().union(*map(bigrams, chinese(evidence)))) / len(asked)


def item_ok(item: dict, answer: dict) -> bool:
    """One pass/fail per item for the report: correct if answerable, honest refusal if not."""
    return (robust(item, answer) if (item["type"] in ROBUSTNESS_TYPES or not answerable(item))
            else is_correct(item, answer))


def per_type(items: list[dict], answers: list[dict]) -> dict[str, dict]:
    table: dict[str, dict] = {}
    for item, answer in zip(items, answers):
        row = table.setdefault(item["type"], {"n": 0, "ok": 0})
        row["n"] += 1
        row["ok"] += item_ok(item, answer)
    return {t: {**r, "rate": round(r["ok"] / r["n"], 4)} for t, r in sorted(table.items())}
