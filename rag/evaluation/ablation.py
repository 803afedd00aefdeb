"""Ablation: what each answer check did on a gold set, from the checks each answer records.

A check that withheld an answer to an answerable question cost an answer when the withheld text was
right (or, before generation, when the model was never asked); withholding a wrong answer costs
nothing. A check that withheld or refused an answer to an unanswerable question saved a refusal. A
check is worth keeping when it saves at least twice the answers it costs on sets it was not written for.
"""

from __future__ import annotations

from rag.evaluation.metrics import answerable, contains_fact
from rag.zh.patterns import without_markers


def _right(item: dict, withheld: str) -> bool:
    return bool(withheld) and all(contains_fact(without_markers(withheld), f) for f in item["must_include"])


def _row() -> dict[str, int]:
    return {"fired_answerable": 0, "lost": 0, "withheld_wrong": 0, "saved": 0}


def table(items: list[dict], answers: list[dict], names: tuple[str, ...]) -> dict[str, dict]:
    """{check: {fired_answerable, lost, withheld_wrong, saved}} over one gold set, one count per question."""
    out = {n: _row() for n in names}
    for item, answer in zip(items, answers):
        by_check = {}
        for fired in answer.get("checks") or []:
            by_check.setdefault(fired["check"], []).append(fired)
        for name, records in by_check.items():
            row = out.setdefault(name, _row())
            if not answerable(item):
                row["saved"] += 1
                continue
            row["fired_answerable"] += 1
            lost = any(r["stage"] == "passage" or _right(item, r["withheld"]) for r in records)
            row["lost" if lost else "withheld_wrong"] += 1
    return out


def render(rows: dict[str, dict]) -> str:
    """The table as Markdown, one line per check that fired."""
    lines = ["| check | fired on answerable | answers lost | wrong answers withheld | refusals saved |",
             "|---|---|---|---|---|"]
    lines += [f"| {n} | {r['fired_answerable']} | {r['lost']} | {r['withheld_wrong']} | {r['saved']} |"
              for n, r in rows.items() if any(r.values())]
    return "\n".join(lines) if len(lines) > 2 else "No check withheld or refused an answer."
