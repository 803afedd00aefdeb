"""Citations are checked after generation: re-pointed, dropped or flagged, never trusted blindly."""

from __future__ import annotations

from rag.grounding.citing import check, is_refusal
from rag.grounding.passages import Passage
from rag.zh.specifiers import contains_number


def _p(n, text, title="越城区2021年区府办工作计划", doc="000.txt"):
    return Passage(n=n, chunk_id=f"{doc}#{n}", doc_id=doc, title=title, section="", place="绍兴市越城区",
                   start_line=n, end_line=n, text=text, full_text=text)


PASSAGES = [_p(1, "建成5G基站1300余个。"), _p(2, "新建5G基站1500个,在全市率先实现5G信号全覆盖。"), _p(3, "新建城市书房3家。")]


def test_wrong_citation_is_repointed():
    out = check("越城区2021年计划新建5G基站1500个[1]。", PASSAGES, "越城区2021年计划新建多少个5G基站？")
    assert out.text == "越城区2021年计划新建5G基站1500个[2]。"
    assert [c["n"] for c in out.citations] == [2] and out.warnings == []
    assert "1500个" in out.citations[0]["quote"] and out.citations[0]["start_line"] == 2


def test_missing_citation_is_added_and_marker_after_period_moved():
    assert check("新建城市书房3家。", PASSAGES, "书房？").text == "新建城市书房3家[3]。"
    assert check("新建城市书房3家。[3]", PASSAGES, "书房？").text == "新建城市书房3家[3]。"


def test_out_of_range_and_literal_markers_are_dropped():
    out = check("新建城市书房3家[7][n]。", PASSAGES, "书房？")
    assert out.text == "新建城市书房3家[3]。" and [c["n"] for c in out.citations] == [3]


def test_unsupported_figure_is_warned():
    out = check("计划新建5G基站2000个[2]。", PASSAGES, "5G基站？")
    assert any("2000" in w for w in out.warnings)


def test_an_answer_whose_figures_are_in_no_passage_is_withheld():
    out = check("每千名老年人拥有养老床位数不少于10张[3]。", PASSAGES, "养老床位数的目标是什么？")
    assert out.refused and out.cause == "withheld" and "10张" not in out.text
    assert not check("新建城市书房3家[3]，另有2000个[3]。", PASSAGES, "书房？").refused  # one figure holds: warned only


def test_question_figures_and_title_years_need_no_support():
    out = check("越城区2021年新建5G基站1500个[2]。", PASSAGES, "越城区2021年？")
    assert out.warnings == []


def test_number_boundaries():
    assert contains_number("增长18%", "18") and not contains_number("增长18%", "8")
    assert not contains_number("增长17.5%", "7.5") and contains_number("增长7.5%", "7.5")
    assert not contains_number("增长7.5%", "7")


def test_refusal_detection():
    assert is_refusal("资料中没有相关信息。") and is_refusal("資料中沒有相關信息。")
    assert check("资料中没有相关信息。", PASSAGES, "?").refused
    assert not is_refusal("越城区2021年计划新建5G基站1500个[2]。")


def test_an_uncited_list_copied_from_two_chunks_cites_both():
    rows = [_p(1, "| 模式 | 时长 |\n| 精煮 | 50分钟 |\n| 快煮 | 30分钟 |\n| 煮粥 | 90分钟 |"),
            _p(2, "| 模式 | 时长 |\n| 杂粮饭 | 65分钟 |\n| 煲汤 | 120分钟 |\n| 蛋糕 | 50分钟 |"), _p(3, "新建城市书房3家。")]
    out = check("电饭煲有精煮、快煮、煮粥、杂粮饭、煲汤和蛋糕六种模式。", rows, "电饭煲有哪几种模式？")
    assert not out.refused and [c["n"] for c in out.citations] == [1, 2]


def test_a_figure_said_in_the_asked_unit_that_the_passage_says_in_another_is_reread():
    from rag.grounding import scope

    centres = [_p(1, "在重点园区建设15个企业综合服务线下分中心，推出70项“一类事”服务场景。")]
    question = "计划建设多少个企业综合服务线下分中心？"
    out = check("70个[1]", centres, question, scope.constraints(question))
    assert out.text == "在重点园区建设15个企业综合服务线下分中心[1]" and not out.refused
    assert check("15个[1]", centres, question, scope.constraints(question)).text == "15个[1]"


def test_a_sentence_with_figures_from_two_passages_cites_both():
    fifth, sixth = _p(1, "第五届马拉松总参赛人数1.2万人。"), _p(2, "第六届马拉松总参赛人数1.5万人。")
    out = check("第五届总参赛人数是1.2万人，第六届是1.5万人[1]。", [fifth, sixth], "第五届和第六届的参赛人数分别是多少？")
    assert [c["n"] for c in out.citations] == [1, 2] and out.warnings == []
