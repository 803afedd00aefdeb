"""Citing: check the model's [n] markers against the passages after generation.

A sentence's figures must appear in the passage it cites. When they do not but another
passage has them, the marker is re-pointed there; a figure that no passage contains is
reported in `warnings`. Markers that point at no passage are dropped, and a sentence with
figures but no marker gets one when exactly the right passage can be found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.grounding import checks as registry, scope
from rag.grounding.figures import as_written
from rag.grounding.passages import REFUSAL, Passage
from rag.zh.clauses import SENTENCE, SENTENCE_END, clauses
from rag.zh.patterns import CITATION, folded_bigrams
from rag.zh.script import normalize
from rag.zh.specifiers import contains_number, numbers

_MARK = CITATION


@dataclass
class Checked:
    text: str
    citations: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refused: bool = False
    cause: str = ""  # why it was refused: model | withheld | scope
    missing: str = ""  # what the passages lack, when that is why
    fired: list[dict] = field(default_factory=list)  # the checks that withheld it, and what they withheld


def _support_text(p: Passage) -> str:
    return f"{p.title} {p.section} {p.full_text}"


def _supports(p: Passage, figures: list[str]) -> int:
    text = _support_text(p)
    return sum(contains_number(text, f) for f in figures)


def _quote(p: Passage, figures: list[str], sentence: str) -> str:
    from rag.zh.clauses import sentences

    parts = sentences(p.full_text) or [p.full_text]
    best = max(parts, key=lambda s: (sum(contains_number(s, f) for f in figures),
                                     len(set(normalize(s)) & set(normalize(sentence)))))
    return best[:200]


def is_refusal(text: str) -> bool:
    """The whole answer is a refusal (a refusal of one part beside a real answer is not)."""
    plain = normalize(_MARK.sub("", text))
    rest = re.sub(r"资料中?没有(找到)?相关(的)?信息|[^\u4e00-\u9fff\d]", "", plain)
    return "没有相关信息" in plain and len(rest) < 8


def _by_overlap(sentence: str, passages: dict[int, Passage], minimum: float = 0.35) -> list[int]:
    """A sentence the model left uncited gets the passage it most plainly copies from, if any."""
    grams = folded_bigrams(sentence)
    if len(grams) < 4:
        return []
    share = {n: len(grams & folded_bigrams(p.full_text)) / len(grams) for n, p in passages.items()}
    best = max(share, key=share.get)
    return [best] if share[best] >= minimum else _by_items(sentence, passages)


def _by_items(sentence: str, passages: dict[int, Passage]) -> list[int]:
    """A list sentence ("精煮、快煮、煮粥…") copied from one or two chunks (a table cut by rows): the
    passages holding its items, when together they hold most of them."""
    items = [i for i in re.split(r"[、，,和及与：:]", normalize(sentence)) if 2 <= len(i) <= 8]
    if len(items) < 3:
        return []
    holds = {n: {i for i in items if i in normalize(p.full_text)} for n, p in passages.items()}
    first = max(holds, key=lambda n: len(holds[n]))
    second = max(holds, key=lambda n: len(holds[n] - holds[first]))
    chosen = [first] + ([second] if holds[second] - holds[first] else [])
    covered = set().union(*(holds[n] for n in chosen))
    return sorted(chosen) if len(covered) >= 0.6 * len(items) else []


def _fix_sentence(sentence: str, passages: dict[int, Passage], question_numbers: set[str], used: dict,
                  warnings: list) -> str:
    cited = [int(m) for m in _MARK.findall(sentence) if m.isdigit() and int(m) in passages]
    body = _MARK.sub("", sentence)
    figures = [f for f in numbers(body) if f not in question_numbers]
    if figures:
        # Two passages with the figure: the one whose wording the sentence shares ("上限5000人" vs "5000人次")
        shared = lambda n: len(folded_bigrams(body) & folded_bigrams(passages[n].full_text))
        best = max(passages, key=lambda n: (_supports(passages[n], figures), n in cited, shared(n), -n))
        cited_best = max((_supports(passages[n], figures) for n in cited), default=0)
        if _supports(passages[best], figures) > cited_best:
            cited = [best] + [n for n in cited if _supports(passages[n], figures)]
        for f in figures:
            if any(contains_number(_support_text(passages[n]), f) for n in cited):
                continue
            # "第五届1.2万人，第六届1.5万人[1]": the second figure's own passage is cited too
            holders = [n for n in passages if contains_number(_support_text(passages[n]), f)]
            if holders:
                cited.append(max(holders, key=shared))
            else:
                warnings.append(f"数字 {f} 未出现在所引用的资料中 / figure {f} is not in any cited passage")
    if not cited:
        cited = _by_overlap(body, passages)
    cited = list(dict.fromkeys(cited))
    body = as_written(body, [passages[n].full_text for n in cited])
    for n in cited:
        used.setdefault(n, (figures, body))
    end = re.search(rf"[{SENTENCE_END}]$", body)
    markers = "".join(f"[{n}]" for n in cited)
    return (body[:-1] if end else body).rstrip() + markers + (end.group(0) if end else "")


def _reread(sentence: str, passages: dict[int, Passage], wanted) -> str:
    """A figure said in the asked unit ("70个") that the cited passage never says in that unit ("70项")
    was misread: the sentence becomes the passage's own clause that states a figure in that unit and
    best matches the question, verbatim and cited. Otherwise the sentence is kept."""
    body = _MARK.sub("", sentence)
    said = [f for f in numbers(body) if scope.states(body, f, wanted.unit)]
    cited = [int(m) for m in _MARK.findall(sentence) if m.isdigit() and int(m) in passages] or list(passages)
    if not said or any(scope.states(_support_text(passages[n]), f, wanted.unit) for n in cited for f in said):
        return sentence
    grams = folded_bigrams(wanted.question)
    found = [(len(grams & folded_bigrams(c)), n, c) for n in cited for c in clauses(passages[n].full_text)
             if scope.has_unit(c, wanted.unit)]
    if not found:
        return sentence
    _, n, clause = max(found)
    end = re.search(rf"[{SENTENCE_END}]$", body)
    return f"{clause.strip()}[{n}]" + (end.group(0) if end else "")


def leaks_prompt(answer: str, system_prompt: str, min_run: int = 16) -> bool:
    """True when the answer repeats a long run of the system prompt (whatever talked the model into it)."""
    secret, text = normalize(system_prompt), normalize(answer)
    return any(secret[i:i + min_run] in text for i in range(0, max(1, len(secret) - min_run), 4))


def check(answer: str, passages: list[Passage], question: str, wanted=None, traditional: bool = False,
          system_prompt: str = "", checks=registry.CHECKS) -> Checked:
    """The model's answer with its citations checked; withheld when no cited passage backs it
    or when it repeats the `system_prompt` it was given."""
    if system_prompt and leaks_prompt(answer, system_prompt):
        return Checked(text=REFUSAL, refused=True, cause="withheld",
                       warnings=["回答中含有系统提示内容，已拦下 / the answer repeated the system prompt and was withheld"])
    if is_refusal(answer) or not passages:
        return Checked(text=answer.strip() or REFUSAL, refused=True, cause="model")
    by_n = {p.n: p for p in passages}
    question_numbers = set(numbers(question))
    used: dict[int, tuple] = {}
    warnings: list[str] = []
    # "…个。[1]" → "…个[1]。"
    answer = re.sub(rf"([{SENTENCE_END}])((?:{CITATION.pattern})+)", r"\2\1", answer.strip())
    if wanted is not None and wanted.unit:
        answer = "\n".join("".join(_reread(s, by_n, wanted) for s in SENTENCE.findall(line))
                           for line in answer.split("\n"))
    fixed = "\n".join("".join(_fix_sentence(s, by_n, question_numbers, used, warnings)
                              for s in SENTENCE.findall(line)) for line in answer.split("\n"))
    if _invented(fixed, passages, question_numbers):
        return Checked(text=REFUSAL, refused=True, cause="withheld",
                       warnings=["回答中的数字都不在检索到的资料里，已拦下 / no figure of the answer is in any "
                                 "passage, withheld: " + _MARK.sub("", fixed)[:160]])
    # the question's words pick the cited sentence too: a bare "8%" matches every sentence holding an 8%
    citations = [cite(by_n[n], used[n][0], used[n][1] + question) for n in sorted(used)]
    missing, decided = _unbacked(citations, by_n, wanted, {n: f for n, (f, _) in used.items()}, checks)
    if missing is not None:
        note = "回答没有可核对的引用，已拦下 / no cited passage backs the answer, withheld: "
        fired = [{"check": name, "stage": "cited", "withheld": fixed} for name in decided]
        return Checked(text=scope.describe(missing, traditional), refused=True, cause="withheld",
                       missing=missing, warnings=[note + _MARK.sub("", fixed)[:160]], fired=fired)
    return Checked(text=fixed, citations=citations, warnings=list(dict.fromkeys(warnings)))


def _invented(answer: str, passages: list[Passage], question_numbers: set[str]) -> bool:
    """The answer states figures of its own and not one of them is in any passage: made up."""
    figures = [f for f in numbers(_MARK.sub("", answer)) if f not in question_numbers]
    return bool(figures) and not any(contains_number(_support_text(p), f) for p in passages for f in figures)


def cite(p: Passage, figures: list[str], sentence: str) -> dict:
    return {"n": p.n, "chunk_id": p.chunk_id, "doc_id": p.doc_id, "title": p.title, "section": p.section,
            "start_line": p.start_line, "end_line": p.end_line, "page_start": p.page_start,
            "page_end": p.page_end,
            "quote": _quote(p, figures, sentence)}


def _unbacked(citations: list[dict], by_n: dict, wanted, figures: dict, checks) -> tuple[str | None, list]:
    """(None when some citation backs the answer, else what the cited passages lack: '' if nothing is
    cited; the checks that decided)."""
    if not citations:
        return "", []
    if wanted is None:
        return None, []
    found = [registry.gaps(checks, "cited", wanted,
                           registry.Backing(by_n[c["n"]], c["quote"], tuple(figures.get(c["n"], ()))))
             for c in citations]
    if not all(found):
        return None, []
    return next(iter(found[0].values())), registry.decisive(found)


def combine(parts: list[Checked]) -> Checked:
    """The answers to a question's parts as one: refused only when every part is."""
    if len(parts) == 1:
        return parts[0]
    refused = all(p.refused for p in parts)
    citations = sorted((c for p in parts for c in p.citations), key=lambda c: c["n"])
    causes = [p for p in parts if p.refused]
    return Checked(text="\n".join(p.text.strip() for p in parts), citations=citations, refused=refused,
                   warnings=list(dict.fromkeys(w for p in parts for w in p.warnings)),
                   cause=causes[0].cause if refused else "",
                   missing=causes[0].missing if refused else "", fired=[f for p in parts for f in p.fired])
