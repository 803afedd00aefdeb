"""Clauses and sentences: how Chinese text is cut into the units that are quoted, trimmed and compared.

A sentence ends at 。！？； (full or half width) or a line break; a clause also ends at a comma.
The enumeration comma 、 separates the items of a list inside a clause, so it ends neither.
"""

from __future__ import annotations

import re

SENTENCE_END = "。！？；!?;"
CLAUSE_END = "，," + SENTENCE_END
# A sentence with its closing mark, when it has one.
SENTENCE = re.compile(rf"[^{SENTENCE_END}\n]+[{SENTENCE_END}]?")
# A clause with its closing mark: joined back, the clauses give the text again.
CLAUSE_WITH_END = re.compile(rf"[^{CLAUSE_END}]+[{CLAUSE_END}]?")
_BODY = re.compile(rf"[^{SENTENCE_END}\n]+")
_CLAUSE = re.compile(rf"[^{CLAUSE_END}]+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(text) if s.strip()]


def sentence_bodies(text: str) -> list[str]:
    """The sentences without their closing marks."""
    return _BODY.findall(text)


def clauses(text: str) -> list[str]:
    """The comma-separated clauses of a sentence, without their marks: where one figure and what it is
    said of sit together."""
    return _CLAUSE.findall(text)


def first_clause(text: str) -> str:
    return next(iter(clauses(text)), "")
