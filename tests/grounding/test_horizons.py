"""Horizons: a chapter about one year does not answer a question about a five-year period, nor the reverse."""

from __future__ import annotations

import pytest

from rag.grounding import horizons
from rag.grounding.passages import Passage


def _p(n: int, section: str, text: str = "高新技术产业增加值占规上工业比重达到70%。", title: str = "某区2021年政府工作报告") -> Passage:
    return Passage(n=n, chunk_id=f"c{n}", doc_id="d", title=title, section=section, place="",
                   start_line=1, end_line=2, text=text, full_text=text)


def test_five_year_plans_are_counted_from_the_third():
    assert horizons.period_span("十四五") == (2021, 2025)
    assert horizons.period_span("十三五") == (2016, 2020)
    assert horizons.period_span("十一五") == (2006, 2010)


@pytest.mark.parametrize("heading, years, spans", [
    ("三、2021年主要工作安排", {2021}, set()),
    ("二、今后五年奋斗目标和主要任务", set(), {(2021, 2025)}),
    ("一、2020年主要工作及“十三五”发展成就", {2020}, {(2016, 2020)}),
    ("一、“十三五”時期發展成就", set(), {(2016, 2020)}),
    ("(二)加快建设长三角科创高地", set(), set()),
])
def test_headings_name_years_and_spans(heading, years, spans):
    found = horizons.of_heading(heading, 2021)
    assert (set(found.years), set(found.spans)) == (years, spans)


def test_a_year_question_is_answered_from_the_chapter_about_that_year():
    five_year = _p(1, "二、今后五年奋斗目标和主要任务 > (一)目标")
    this_year = _p(2, "三、2021年主要工作安排 > (四)产业", "实现高新技术产业增加值130亿元,占规上工业比重达65%。")
    unknown = _p(3, "")
    kept = horizons.prefer("南湖区2021年高新技术产业增加值占规上工业比重的目标是多少？", [five_year, this_year, unknown])
    assert [p.n for p in kept] == [2, 3]


def test_a_period_question_is_answered_from_the_chapter_about_that_period():
    five_year = _p(1, "二、今后五年奋斗目标和主要任务")
    this_year = _p(2, "三、2021年主要工作安排")
    assert [p.n for p in horizons.prefer("南湖区“十四五”期间的目标是多少？", [this_year, five_year])] == [1]


def test_a_review_of_a_span_answers_for_its_last_year():
    review = _p(1, "一、“十三五”时期发展成就", "地区生产总值达到1000亿元。", title="某区十四五规划")
    plan = _p(2, "四、突出人才首位战略", "地区生产总值达到1500亿元。", title="某区十四五规划")
    assert [p.n for p in horizons.prefer("某区2020年地区生产总值达到多少？", [plan, review])] == [1]


def test_nothing_is_dropped_when_no_chapter_fits_or_the_chunk_names_the_year():
    five_year = _p(1, "二、今后五年奋斗目标和主要任务")
    named = _p(2, "二、今后五年奋斗目标和主要任务", "2021年新增企业10家。")
    assert horizons.prefer("2021年的目标是多少？", [five_year]) == [five_year]
    assert [p.n for p in horizons.prefer("2021年新增企业多少家？", [five_year, named])] == [2]
    assert horizons.prefer("新增企业多少家？", [five_year, named]) == [five_year, named]


def test_years_spelled_in_chinese_numerals_are_years():
    from rag.zh.specifiers import years

    assert years("锚定二 〇 三五年远景目标") == {"2035"}
    assert years("二〇二一年和2022年") == {"2021", "2022"}
    assert years("一二三四年") == set()  # not a plausible year
    assert horizons.of_heading("二〇三五年远景目标").years == {2035}
