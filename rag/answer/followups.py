"""Follow-ups: the model's rewrite of "那…呢？" is kept only if it stays within the conversation.

The small model sometimes adds a parent place nobody mentioned ("宁波市南湖区") or returns the
previous question unchanged. A rewrite may only name places the conversation named (a parent
it invented is dropped) and must keep what the follow-up asks about; otherwise the follow-up is
completed from the last question's place and period instead.
"""

from __future__ import annotations

import re

from rag.zh.places import gazetteer
from rag.zh.specifiers import chinese_numeral, ordinals
from rag.zh.tokens import person_names, tokenize
from rag.zh.patterns import PERIOD, YEAR, without_markers
from rag.zh.asking import CONTINUING, FOLLOWUP_FILLER, OPEN, PERSON_POINTER, RELATIVE_EDITION
from rag.zh.genre import CITY_LEVEL
from rag.zh.reporting import MENTIONED_YEAR_SHIFT, RELATIVE_TIME
from rag.zh.units import ANY_UNIT, MAGNITUDES

# 那 before a measure word is a demonstrative ("那个目标", "那年"), not the 那 that continues a question.
_LEAD = re.compile(rf"^(?:{CONTINUING})(?!{ANY_UNIT}|些)[，,、]?")
# A yes-or-no question ("后来创成了吗？") keeps its ask when completed; it does not ask for an amount.
_YES_NO = re.compile(r"吗[？?。]*$")
# An amount the user stated ("超过一亿美元", "30%"): a rewrite that changes it asks another question.
_STATED = re.compile(rf"\d+(?:\.\d+)?|[一二两三四五六七八九十百千]+(?:{MAGNITUDES})")
_TAIL = re.compile(r"(呢|吗)?[？?。]*$")
_YEAR = re.compile(rf"{YEAR}年")
_CONTEXT = re.compile(rf"{YEAR}年|{PERIOD}(?:期间|时期|末)?|“[^”]{{1,10}}”|{RELATIVE_TIME}")
_TIME = re.compile(rf"{YEAR}年|{PERIOD}")
_FUNCTION = set("里定的是在了又上下要把对将于和与及其这那个些得地着过")  # jieba glues these ("里定")


def core(question: str) -> str:
    return _TAIL.sub("", _LEAD.sub("", question.strip()))


def _terms(text: str) -> set[str]:
    """What a follow-up asks about, without its period ("2021年定的目标" asks about nothing new)."""
    text = _CONTEXT.sub("", text)
    return {t for t in tokenize(text)
            if len(t) >= 2 and t not in FOLLOWUP_FILLER and not t.isdigit() and not set(t) <= _FUNCTION}


def _strip_places(text: str) -> str:
    for name in gazetteer().mentions(text):
        text = text.replace(name, " ")
    return text


def drop_invented_places(rewrite: str, conversation: str) -> str | None:
    """The rewrite without places the conversation never named; None when such a place is all it is about."""
    g = gazetteer()
    named = {p.code for p in g.find(conversation)}
    for name in dict.fromkeys(g.mentions(rewrite)):
        if {p.code for p in g.by_name[name]} & named:
            continue
        after = rewrite.split(name, 1)[1]
        if not g.mentions(after[:6]):
            return None  # not a parent prefix: the rewrite is about a place nobody asked about
        rewrite = rewrite.replace(name, "", 1)
    return rewrite


def bare(question: str) -> bool:
    """The question names nothing to ask about beyond a place, a period and filler ("全市层面2021年的目标是多少家？")."""
    return not _terms(_strip_places(core(question)))


def _places_for(question: str, last_question: str) -> list[str]:
    """The places a follow-up is about: its own, the city above the last question's district for
    "全市", else the last question's."""
    own = gazetteer().mentions(question)
    if own:
        return own
    last = gazetteer().find(last_question)
    parent = (gazetteer().parent_name(last[-1])
              if CITY_LEVEL.search(question) and last and last[-1].level == 3 else "")
    if parent:
        return [parent]
    return list(dict.fromkeys(gazetteer().mentions(last_question)))


def from_context(question: str, last_question: str) -> str:
    """The follow-up completed from the last question: one that only changes the year or the place
    ("那2021年呢？", "那南湖区当年的目标呢？", "全市层面的目标是多少家？") is the last question with its year
    and place changed; a follow-up about something new keeps the last question's place and period only."""
    asked, places = _shift_year(core(question), last_question), _places_for(question, last_question)
    years = _YEAR.findall(asked)
    if not _terms(_strip_places(asked)):
        text = (_YEAR.sub(years[0], last_question, count=1) if years and _YEAR.search(last_question)
                else last_question)
        old = gazetteer().mentions(text)
        if old and places and places[0] not in old:
            text = text.replace(old[0], places[0], 1)
        return text
    # a follow-up with its own time ("到“十四五”末") does not take the last question's year
    own_time = bool(years or _TIME.search(asked))
    period = "".join(m for m in dict.fromkeys(_CONTEXT.findall(last_question))
                     if m not in question and not years and not (own_time and _TIME.search(m)))
    ask = "？" if OPEN.search(asked) else "吗？" if _YES_NO.search(question) else "是多少？"
    lead = "".join(p for p in dict.fromkeys(places) if p not in asked)
    return f"{lead}{period}{asked}{ask}"


def _strays(rewrite: str, question: str, history: list[tuple[str, str]]) -> bool:
    """The rewrite lost the follow-up's own year or an amount it stated, or kept the last question's
    place although the follow-up named another one (that is not inside it)."""
    if any(y not in rewrite for y in _YEAR.findall(question) + _STATED.findall(question)):
        return True
    g, own = gazetteer(), gazetteer().find(question)
    if not own:
        return False
    kept = [p for p in g.find(rewrite) if not any(o.within(p) or p.within(o) for o in own)]
    return any(p.name in history[-1][0] or p.short in history[-1][0] for p in kept)


def guard(rewrite: str, question: str, history: list[tuple[str, str]]) -> str:
    """The rewrite if it keeps to the conversation and to what the follow-up asks; else a completion."""
    conversation = question + " " + " ".join(q + " " + a for q, a in history)
    kept = drop_invented_places(rewrite, conversation)
    # What must survive the rewrite: the follow-up's own subject, or when it only changes the year or
    # place, the last question's subject.
    wanted = _terms(_strip_places(core(question))) or _terms(_strip_places(history[-1][0]))
    if kept and (not wanted or wanted & _terms(kept)) and not _strays(kept, question, history):
        return kept
    return from_context(question, history[-1][0])




def _person(answer: str, question: str) -> str:
    """The one person the last answer introduced (a name jieba tags, not already in its question)."""
    names = {w for w in person_names(without_markers(answer)) if len(w) == 3 and w not in question}
    return names.pop() if len(names) == 1 else ""


def _shift_year(standalone: str, last_question: str) -> str:
    """"2024年上一年" or "上一年" after a question about 2024 → "2023年"."""
    before = sorted(_YEAR.findall(last_question))
    for word, shift in MENTIONED_YEAR_SHIFT.items():
        said = re.search(rf"({YEAR})年的?{word}", standalone)
        if word not in standalone or not (said or before):
            continue
        base = int(said.group(1)) if said else int(before[-1][:4])
        return standalone.replace(said.group(0) if said else word, f"{base + shift}年", 1)
    return standalone


def resolve(standalone: str, history: list[tuple[str, str]]) -> str:
    """What a rewrite left pointing back: "她" → the person the last answer named, "下一届" → the
    edition after the one the last question named, "上一年" → the year before the last question's."""
    last_question, last_answer = history[-1]
    standalone = _shift_year(standalone, last_question)
    person = _person(last_answer, last_question) if PERSON_POINTER.search(standalone) else ""
    if person:
        standalone = PERSON_POINTER.sub(person, standalone, count=1)
    named = [k for k in ordinals(last_question) if k.endswith("届")]
    for word, shift in RELATIVE_EDITION.items():
        if word in standalone and named and int(named[0][:-1]) + shift > 0:
            standalone = standalone.replace(word, f"第{chinese_numeral(int(named[0][:-1]) + shift)}届")
    return standalone
