"""The check registry: one list of named checks, each switchable, each recording what it withheld."""

from __future__ import annotations

import pytest

from rag.errors import InputError
from rag.grounding import checks, scope
from rag.grounding.passages import Passage


def _p(text: str, title: str = "某区2021年工作计划", place: str = "") -> Passage:
    return Passage(n=1, chunk_id="c", doc_id="d", title=title, section="", place=place, start_line=1,
                   end_line=1, text=text, full_text=text)


def test_every_check_has_a_unique_name_a_stage_and_a_reason():
    assert len(set(checks.NAMES)) == len(checks.CHECKS)
    assert {c.stage for c in checks.CHECKS} == {"passage", "cited", "answer"}
    assert all(c.why for c in checks.CHECKS)


def test_checks_are_turned_off_by_name_and_an_unknown_name_is_refused_with_the_list():
    left = checks.active("unit, metric")
    assert "unit" not in {c.name for c in left} and len(left) == len(checks.CHECKS) - 2
    with pytest.raises(InputError, match="the checks are: place"):
        checks.active("units")


def test_a_measure_word_alone_never_withholds_a_count():
    """多少部电梯 is answered by 台: the measure word classifies what is counted, it is not the measure."""
    wanted = scope.constraints("某区2021年要加装多少部电梯？")
    quote = "完成既有住宅加装电梯120台。"
    assert wanted.unit == "部" and checks.answer_gap(wanted, _p(quote), quote, ["120"]) == ""
    tonnes = scope.constraints("某区2021年粮食产量多少吨？")
    money = "农业产值12亿元。"
    assert checks.answer_gap(tonnes, _p(money), money, ["12"]) == "以“吨”计的数字"


def test_a_check_turned_off_no_longer_finds_its_gap():
    wanted = scope.constraints("某区2021年粮食产量多少吨？")
    b = checks.Backing(_p("农业产值12亿元。"), "农业产值12亿元。", ("12",))
    assert "unit" in checks.gaps(checks.CHECKS, "cited", wanted, b)
    assert checks.gaps(checks.active("unit"), "cited", wanted, b) == {}


def test_the_deciding_checks_are_those_that_alone_remove_every_item():
    assert checks.decisive([{"place": "杭州市", "period": "2022年"}, {"place": "杭州市"}]) == ["place"]
    # only together: each that found a gap is named
    assert checks.decisive([{"place": "杭州市"}, {"period": "2022年"}]) == ["place", "period"]
    assert checks.telling([{"place": "杭州市", "period": "2022年"}, {"period": "2022年"}]) == "2022年"


def test_a_demonstrative_few_is_not_an_asked_amount():
    """那几年/这几个 point at a few: "那几年引进了多少人才" asks a count of people, not of years."""
    assert scope.constraints("十三五那几年引进了多少名人才？").unit == "名"
    assert scope.constraints("这几个项目总投资多少钱？").unit == "元"
    assert scope.constraints("要干几年？").unit == "年"


def test_how_big_or_how_long_asks_an_amount():
    from rag.zh.asking import ASKS_AMOUNT

    assert ASKS_AMOUNT.search("准备新修多大面积的运动场地？") and ASKS_AMOUNT.search("保温能保持多久？")
    assert not ASKS_AMOUNT.search("大多数居民满意吗？")


class _Near:
    """A stand-in embedder: a text's vector says whether it speaks of electricity (the asked thing)."""

    def embed(self, texts, kind="document"):
        import numpy as np

        return np.array([[1.0, 0.0] if "用电" in t or kind == "query" else [0.0, 1.0] for t in texts])


def test_the_metric_check_withholds_a_figure_whose_clause_is_about_another_thing():
    from rag.grounding.meaning import Meaning

    wanted = scope.constraints("某市2023年全社会用电量是多少？")
    report = lambda text: _p(text, title="某市2024年政府工作报告")
    wanted.meaning = Meaning(_Near(), wanted.question, below=0.33)
    gdp = "全年实现地区生产总值7791亿元，增长7.8%。"
    assert "别的指标" in checks.answer_gap(wanted, report(gdp), gdp, ["7791"])
    power = "全年全社会用电量增长6%，达到700亿千瓦时。"
    assert checks.answer_gap(wanted, report(power), power, ["700"]) == ""
    # the clause before the figure's names its subject: "用电量…，达到700亿千瓦时"
    split = "全社会用电量稳步增长，达到700亿千瓦时。"
    assert checks.answer_gap(wanted, report(split), split, ["700"]) == ""
    wanted.meaning = None  # no embedder at hand: nothing to judge by
    assert checks.answer_gap(wanted, report(gdp), gdp, ["7791"]) == ""


def test_the_metric_check_is_off_at_zero_and_then_embeds_nothing():
    from rag.grounding.meaning import Meaning

    class _Counting(_Near):
        calls = 0

        def embed(self, texts, kind="document"):
            _Counting.calls += 1
            return super().embed(texts, kind)

    wanted = scope.constraints("某市2023年全社会用电量是多少？")
    wanted.meaning = Meaning(_Counting(), wanted.question, below=0.0)
    gdp = "全年实现地区生产总值7791亿元，增长7.8%。"
    assert checks.answer_gap(wanted, _p(gdp, title="某市2024年政府工作报告"), gdp, ["7791"]) == ""
    assert _Counting.calls == 0


def test_a_quoted_phrase_withholds_nothing_while_an_edition_does():
    passage = _p("创建最清洁城市单元169个，办好第五届友城大会。", title="某市2023年报告")
    quoted = checks.gaps(checks.CHECKS, "passage", scope.constraints("搞“最干净的城市”评出多少个单元？"),
                         checks.Backing(passage))
    edition = checks.gaps(checks.CHECKS, "passage", scope.constraints("第四届友城大会在哪办？"),
                          checks.Backing(passage))
    assert quoted == {} and set(edition) == {"name"}
    # retrieval still ranks a passage saying the quoted phrase first
    assert scope.gap(scope.constraints("搞“最干净的城市”评出多少个单元？"), passage) == "“最干净的城市”"
