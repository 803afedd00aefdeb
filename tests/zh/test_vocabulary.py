"""The language's words live in rag/zh, gathered by kind, each list saying why it exists; the stages
that check questions and answers compose their patterns from them and hold no word list of their own."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from rag.zh.clauses import CLAUSE_WITH_END, clauses, sentences
from rag.zh.units import ANY_UNIT, alternation

ROOT = Path(__file__).resolve().parents[2] / "rag"
_CJK = re.compile(r"[\u4e00-\u9fff]")
# The modules that hold vocabulary: the language's kinds, and the one genre marked as such.
VOCABULARY = ["asking", "units", "reporting", "genre", "directives", "places"]


def _words(node: ast.AST) -> int:
    """Chinese words in a literal collection or a plain regex alternation ("a|b|c"), as the team's count
    reads them."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return sum(_words(e) if isinstance(e, (ast.Tuple, ast.List, ast.Set)) else
                   int(isinstance(e, ast.Constant) and isinstance(e.value, str)
                       and bool(_CJK.search(e.value)))
                   for e in node.elts)
    if isinstance(node, ast.Dict):
        return sum(isinstance(k, ast.Constant) and isinstance(k.value, str) and bool(_CJK.search(k.value))
                   for k in node.keys)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return sum(bool(_CJK.search(p)) for p in node.value.split("|")) if node.value.count("|") >= 2 else 0
    return 0


def _word_lists(path: Path) -> list[int]:
    """Line numbers of the word lists in a module (three or more words), assigned or passed to a call."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        values = [node.value] if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value else \
            list(node.args) if isinstance(node, ast.Call) else []
        found += [node.lineno for v in values if _words(v) >= 3]
    return sorted(set(found))


def test_checking_and_answering_hold_no_word_list_of_their_own():
    held = {f"{p.relative_to(ROOT)}:{line}" for stage in ("grounding", "answer")
            for p in (ROOT / stage).glob("*.py") for line in _word_lists(p)}
    # the one exception is prompt text: the worked example of a follow-up rewrite shown to the model
    assert held <= {f"answer/prompting.py:{n}" for n in _word_lists(ROOT / "answer" / "prompting.py")}
    assert len(held) <= 1, held


def test_every_word_list_of_the_language_says_why_it_exists():
    for name in VOCABULARY:
        lines = (ROOT / "zh" / f"{name}.py").read_text(encoding="utf-8").split("\n")
        for n in _word_lists(ROOT / "zh" / f"{name}.py"):
            # the list's own paragraph (no blank line in between) opens with a comment: two forms of one
            # list (a fragment and its compiled pattern) share it
            at = n - 2
            while at >= 0 and lines[at].strip() and not lines[at].lstrip().startswith("#"):
                at -= 1
            assert at >= 0 and lines[at].lstrip().startswith("#"), \
                f"rag/zh/{name}.py:{n} has no comment saying which fact of the language it encodes"


def test_units_match_their_longest_form():
    assert alternation("米 平方米 人 人次") == "平方米|人次|米|人"
    assert [m.group(0) for m in re.finditer(ANY_UNIT, "12平方公里、300人次、5人")] == ["平方公里", "人次", "人"]


def test_one_definition_of_sentences_and_clauses():
    text = "全市新增就业3.2万人，增长5%！城镇、农村分别增长6%和7%；完成了吗？"
    assert sentences(text) == ["全市新增就业3.2万人，增长5%！", "城镇、农村分别增长6%和7%；", "完成了吗？"]
    # the enumeration comma separates items inside a clause; it ends no clause
    assert clauses(text) == ["全市新增就业3.2万人", "增长5%", "城镇、农村分别增长6%和7%", "完成了吗"]
    assert "".join(CLAUSE_WITH_END.findall(text)) == text
