"""Answerability checks, each on its own: the question's constraints (place, period, edition, quoted name,
unit, actual vs plan), stated premises and what a cited sentence must say. None of them knows the seeds."""

from __future__ import annotations

import pytest

from rag.grounding import checks, premise, scope
from rag.grounding.citing import check
from rag.grounding.passages import Passage


def _p(text, title="某区2021年政府工作报告", place="", section="", n=1):
    return Passage(n=n, chunk_id=f"d#{n}", doc_id="d", title=title, section=section, place=place,
                   start_line=1, end_line=1, text=text, full_text=text)


def test_a_place_the_passage_does_not_speak_of_is_a_gap():
    wanted = scope.constraints("杭州市2024年地区生产总值增长目标是多少？")
    shaoxing = _p("2024年地区生产总值增长6.5%以上。", title="绍兴市2024年政府工作报告", place="绍兴市")
    assert scope.gap(wanted, shaoxing) == "杭州市"
    assert scope.gap(wanted, _p("杭州市地区生产总值增长6%。", title="2024年报告")) == ""
    city_question = scope.constraints("绍兴市2021年新建多少个基站？")
    district_doc = _p("新建5G基站1500个。", title="越城区2021年计划", place="绍兴市越城区")
    assert scope.gap(city_question, district_doc) == "绍兴市"  # a district's figure is not the city's


def test_period_edition_and_quoted_name_must_be_in_the_passage():
    assert scope.gap(scope.constraints("2022年新增就业多少人？"), _p("2023年新增就业9.67万人。", title="2024年报告")) == "2022年"
    # no year written out: the passage speaks of its document's year or the one before
    assert scope.gap(scope.constraints("2023年新增就业多少人？"), _p("新增就业9.67万人。", title="2024年报告")) == ""
    assert scope.gap(scope.constraints("2023年出口增长多少？"), _p("去年出口增长11.8%。", title="2024年报告")) == ""
    assert scope.gap(scope.constraints("“十二五”期间GDP年均增长多少？"), _p("“十三五”期间GDP年均增长7%。")) == "“十二五”"
    assert scope.gap(scope.constraints("“十四五”空气优良率目标？"), _p("空气质量优良天数比例达93%以上。")) == ""
    assert scope.gap(scope.constraints("第四届友城大会何时举办？"), _p("办好第五届友城大会。")) == "第四届"
    assert scope.gap(scope.constraints("首届攀岩赛在哪办？"), _p("承办第1届攀岩赛。")) == ""
    assert scope.gap(scope.constraints("“七星阁”平台有几个子系统？"), _p("七星阁平台集成七个子系统。")) == ""
    assert scope.gap(scope.constraints("“八星阁”平台有几个子系统？"), _p("七星阁平台集成七个子系统。")) == "“八星阁”"


def test_asked_unit_and_actual_result_are_checked_on_the_cited_passage():
    athletes = scope.constraints("攀岩赛共有多少名运动员参赛？")
    assert checks.answer_gap(athletes, _p("保障84场赛事，观众17万人次。"), "") != ""
    assert checks.answer_gap(athletes, _p("共有运动员320人参赛。"), "") == ""
    actual = scope.constraints("南湖区2021年实际新增城镇就业多少人？")
    plan = _p("2021年新增城镇就业1.2万人。", title="南湖区2021年政府工作报告", place="嘉兴市南湖区")
    assert "实际" in checks.answer_gap(actual, plan, "2021年新增城镇就业1.2万人。")  # written before 2021 was over
    later = _p("2021年新增城镇就业1.3万人。", title="南湖区2022年政府工作报告", place="嘉兴市南湖区")
    assert checks.answer_gap(actual, later, "2021年新增城镇就业1.3万人。") == ""
    assert scope.is_plan("力争新增就业1.2万人。", later, set())


def test_uncited_or_out_of_scope_answers_are_withheld_with_the_reason():
    passages = [_p("2024年地区生产总值增长6.5%以上。", title="绍兴市2024年政府工作报告", place="绍兴市")]
    question = "杭州市2024年地区生产总值增长目标是多少？"
    out = check("6.5%以上[1]", passages, question, scope.constraints(question))
    assert out.refused and "杭州市" in out.text and out.cause == "withheld"
    assert check("增长很快。", passages, "增长？", scope.constraints("增长？")).refused  # nothing cited


def test_a_stated_figure_becomes_the_open_question_and_is_judged():
    found = premise.find("越城区2021年计划新增高新技术企业300家，这个目标能完成吗？")
    assert found.question == "越城区2021年计划新增高新技术企业多少家？" and found.stated == "300家"
    # the direction may be the false part: the rate is asked back without it
    assert premise.find("绍兴市2023年出口总额下降了5%，是什么原因？").question == "绍兴市2023年出口总额增长了多少？"
    assert premise.find("某区森林覆盖率提高到30%，对吗？").question == "某区森林覆盖率是多少？"  # a level, not a rate
    assert premise.find("改造的61个老旧小区总投资是多少？") is None  # the figure names the thing asked about
    assert premise.find("2023年GDP增长6.6%，2024年目标是多少？").aside  # another figure is asked: checked, not rewritten
    assert "不符" in premise.verdict(found, "计划新增134家[1]。") and "一致" in premise.verdict(found, "新增300家[1]。")


def test_model_codes_and_money_are_constraints():
    x3 = scope.constraints("灵犀X3手环的续航是多少天？")
    assert scope.gap(x3, _p("灵犀X2手环典型续航18天。")) == "X3" and scope.gap(x3, _p("灵犀X3续航21天。")) == ""
    money = scope.constraints("改造的61个老旧小区总投资是多少？")
    assert checks.answer_gap(money, _p("改造老旧小区61个。"), "")
    assert not checks.answer_gap(money, _p("总投资3.2亿元。"), "")
    assert scope.constraints("研发经费占GDP比重是多少？").unit == ""  # a share, not an amount


def test_a_sentence_about_another_member_of_a_contrast_set_does_not_answer():
    women = scope.constraints("第六届马拉松女子全程冠军是谁？")
    assert checks.answer_gap(women, _p("第六届男子全程冠军为李振洋。"), "第六届男子全程冠军为李振洋。") == "女子"
    assert checks.answer_gap(women, _p("第六届女子全程冠军为王丽。"), "第六届女子全程冠军为王丽。") == ""
    exports = scope.constraints("2023年出口总额增长多少？")
    assert checks.answer_gap(exports, _p("进口总额增长3%。", title="2024年报告"), "进口总额增长3%。") == "出口"
    total = scope.constraints("2023年末规上工业企业总数是多少家？")
    added = "新增规上工业企业489家。"
    assert checks.answer_gap(total, _p(added, title="2024年报告"), added) == "总数"


def test_the_refusal_names_what_the_passages_about_the_place_lack():
    wanted = scope.constraints("绍兴市2022年新增城镇就业多少人？")
    district = _p("新增就业1万人。", title="越城区2021年计划", place="绍兴市越城区")
    city = _p("2023年新增城镇就业9.67万人。", title="绍兴市2024年政府工作报告", place="绍兴市")
    found = [checks.gaps(checks.CHECKS, "passage", wanted, checks.Backing(p)) for p in (district, city)]
    assert checks.telling(found) == "2022年"


def test_which_ones_is_not_a_count():
    assert scope.constraints("两个“2”分别指哪几家机构？").unit == "" and scope.constraints("新增几家机构？").unit == "家"
    assert scope.constraints("每天最多能预约几个小时？").unit == "小时" and scope.constraints("全长多少公里？").unit == "公里"


def test_a_passage_about_one_of_several_named_things_is_in_scope():
    both = scope.constraints("灵犀X1和灵犀X2的续航分别是多少天？")
    assert scope.gap(both, _p("灵犀X1典型续航14天。")) == "" and scope.gap(both, _p("灵犀X5续航9天。")) == "X1"


def test_without_place_metadata_the_heading_names_the_place():
    wanted = scope.constraints("南湖区2021年粮食播种面积目标是多少？")
    p = _p("南湖区2021年农业工作安排\n全年粮食播种面积24.6万亩。", title="粮食")
    assert checks.answer_gap(wanted, p, "全年粮食播种面积24.6万亩。") == ""


def test_a_sentence_about_a_sibling_of_the_asked_specifier_does_not_answer():
    from rag.zh.specifiers import sibling_gap

    assert sibling_gap("何沐阳100米自由泳的成绩是多少？", "男子200米自由泳1分49秒21") == "100米"
    assert sibling_gap("何沐阳100米自由泳的成绩是多少？", "男子100米自由泳49秒88") == ""
    assert sibling_gap("禾丰香11号计划推广多少亩？", "禾丰香9号实际推广面积达到2.6万亩。") == "11号"
    assert sibling_gap("HW-F40屏幕显示E5是什么故障？", "| E3 | 未放入内胆 |") == "E5"
    assert sibling_gap("天文台发现的第3颗小行星是哪颗？", "这是该天文台发现的第4颗近地小行星。") == "第3颗"
    assert sibling_gap("第五届大会何时举办？", "本届大会在湖滨举办。") == ""  # names no sibling: nothing to judge by
    first_week = scope.constraints("灵犀X2开售首周卖了多少台？")
    assert checks.answer_gap(first_week, _p("灵犀X2首发当日销量8.2万台。"), "灵犀X2首发当日销量8.2万台。") == "首周"


def test_a_stated_time_is_asked_back_with_what_the_question_is_about():
    found = premise.find("第六届马拉松，基普罗蒂奇跑出2小时09分的成绩夺冠，对吗？")
    assert found.question == "第六届马拉松，基普罗蒂奇跑出多长时间的成绩夺冠？" and found.stated == "2小时09分"
    assert "不符" in premise.verdict(found, "成绩为2小时11分52秒[1]。")
    assert premise.find("电饭煲最长可以保温48小时，对吗？").question == "电饭煲最长可以保温多少小时？"
    assert premise.find("某区PM2.5年均浓度上升到了37微克/立方米，是什么原因？").question == "某区PM2.5年均浓度多少微克/立方米？"
    aside = premise.find("某区PM2.5年均浓度上升到了37微克/立方米，准备怎么治理？")
    # the rest asks something else: answered as asked
    assert aside.aside and aside.question.endswith("准备怎么治理？")


def _passage(n, text, section="2023年工作回顾"):
    return Passage(n, f"c{n}", "d", "某市2024年政府工作报告", section, "某市", 1, 1, text, text)


@pytest.mark.parametrize("question, stated, shown", [
    ("某县2023年建成3.5万亩高标准农田，那产粮任务是多少？", "3.5万亩", "建成高标准农田3500亩"),  # magnitude
    ("听说某县2023年建成了3000多个5G基站，是这样吗？", "3000多个", "建成5G基站1300余个"),
    ("某县2023年生产总值下降了5.2%，主要受什么影响？", "5.2%", "增长5.2%"),  # same figure, other direction
    ("某县2023年城乡收入比扩大到了1.85，说明差距在拉大吗？", "1.85", "缩小至1.65"),  # a bare ratio
    ("某县2023年垃圾分类覆盖率才六成左右，打算怎么提高？", "六成", "覆盖率达到95%"),  # a share in tenths
])
def test_a_false_premise_is_corrected_with_the_passages_own_words(question, stated, shown):
    passages = [_passage(1, "建成高标准农田3500亩，完成产粮6.67万吨。建成5G基站1300余个。"),
                _passage(2, "全县生产总值637.80亿元，增长5.2%。城乡收入比缩小至1.65。"),
                _passage(3, "新增垃圾分类集置点104个，垃圾分类覆盖率达到95%。")]
    claim = premise.find(question)
    window, p = premise.contradiction(claim, passages)
    note = premise.correction(claim, window, p.n)
    assert ("不符" in note and shown in note and stated not in note.split("资料原文")[0]
            and note.endswith(f"[{p.n}]"))


@pytest.mark.parametrize("question", [
    "某县2023年建成3500亩高标准农田，对吗？",  # agrees
    "某县2023年生产总值增长5.2%，主要靠什么？",  # agrees, direction included
    "某县2023年接待游客5000万人次，旅游收入多少？",  # no passage states it
])
def test_a_premise_the_passages_agree_with_or_do_not_state_is_left_alone(question):
    passages = [_passage(1, "建成高标准农田3500亩，完成产粮6.67万吨。"), _passage(2, "全县生产总值637.80亿元，增长5.2%。")]
    assert premise.contradiction(premise.find(question), passages) is None


def test_a_premise_is_matched_with_the_period_its_chapter_heading_names():
    passages = [_passage(1, "空气质量优良率升至85%，PM2.5年平均浓度降至27微克/立方米，改善率全省第一。",
                         section="一、“十三五”时期发展成就")]
    claim = premise.find("某县“十三五”期间PM2.5年均浓度上升到了37微克/立方米，准备怎么治理？")
    window, p = premise.contradiction(claim, passages)
    assert "降至27微克/立方米" in premise.correction(claim, window, p.n)


def test_a_clause_naming_the_metric_only_after_its_figure_does_not_judge_the_premise():
    # 6.5% here measures 增加值; 地区生产总值 is named only after the figure
    passages = [_passage(1, "服务业增加值年均增长6.5%，占地区生产总值比重稳居全市前列。")]
    assert premise.contradiction(premise.find("某县2023年地区生产总值下降了5.2%，主要受什么影响？"), passages) is None
    # the measured thing stands before its own figure, after another one's
    listed = [_passage(1, "空气质量优良天数比例达93%以上，森林覆盖率达12.5%以上。", section="“十四五”发展目标")]
    window, _ = premise.contradiction(premise.find("某县“十四五”目标要把森林覆盖率提高到30%，这个目标怎么实现？"), listed)
    assert "森林覆盖率达12.5%" in window


def test_a_premise_about_another_year_is_not_judged_by_this_years_chapter():
    passages = [_passage(1, "全县生产总值增长5.2%。", section="2023年工作回顾")]
    assert premise.contradiction(premise.find("某县2021年生产总值增长8.5%，2022年呢？"), passages) is None


def test_a_figure_two_passages_hold_is_cited_from_the_one_whose_wording_matches():
    visits = _p("单日最高接待量为5000人次，达到预约上限。", n=1)
    limit = _p("展览实行免费预约参观，每日预约上限5000人。", n=2)
    checked = check("资料中提到“每日预约上限5000人”。", [visits, limit], "特展每天最多可以预约多少人？",
                    scope.constraints("特展每天最多可以预约多少人？"))
    assert not checked.refused and [c["n"] for c in checked.citations] == [2]


def test_who_questions_need_the_role_and_counts_named_in_the_metric_need_their_unit():
    surgeon = scope.constraints("首例机器人辅助手术的主刀医生是谁？")
    assert surgeon.role == "医生"
    assert checks.answer_gap(surgeon, _p("患者为68岁男性，手术历时2小时。"), "患者为68岁男性，手术历时2小时。") == "“医生”"
    assert checks.answer_gap(surgeon, _p("主刀医生为泌尿外科主任李明。"), "主刀医生为泌尿外科主任李明。") == ""
    visits = scope.constraints("第六届电影节的观影人次是多少？")
    assert visits.unit == "人次" and scope.constraints("参赛人数是多少？").unit == "人"
    festival = _p("第六届征集作品2980部。观影人次约1.5万。")
    # the figure quoted is not a count of visits
    assert checks.answer_gap(visits, festival, "第六届征集作品2980部。") != ""
    assert checks.answer_gap(visits, festival, "观影人次约1.5万。") == ""


def test_siblings_are_judged_in_the_clause_that_holds_the_answers_figure():
    shop = scope.constraints("山屿咖啡有多少注册会员？第100家门店开在哪里？")
    quote = "山屿咖啡于2018年在青岚开出第一家店，目前门店分布在6个城市，注册会员约120万人。"
    assert checks.answer_gap(shop, _p(quote + "第100家门店在滨江天地开业。"), quote, ["120"]) == ""
    week = scope.constraints("灵犀X2开售首周卖了多少台？")
    sales = "灵犀X2首发当日销量达到8.2万台，超过上一代开售首周的销量。"
    assert checks.answer_gap(week, _p(sales), sales, ["8.2"]) == "首周"


def test_a_clause_about_another_year_or_period_is_a_sibling():
    from rag.zh.specifiers import sibling_gap

    assert sibling_gap("南湖区2021年高新技术产业比重的目标是多少？", "到2025年比重达到70%") == "2021年"
    assert sibling_gap("越城区“十四五”空气优良率目标？", "“十三五”期间优良率升至85%") == "“十四五”"
    assert sibling_gap("2023年新增就业多少人？", "新增城镇就业9.67万人") == ""


def test_the_asked_unit_is_met_by_the_answers_figure_wherever_the_passage_says_it():
    plan = _p("修缮不可移动文物29项。加快建设，新增博物馆3家以上。")
    wanted = scope.constraints("计划修缮多少项不可移动文物？新增多少家博物馆？")
    assert checks.answer_gap(wanted, plan, "加快建设，新增博物馆3家以上。", ["29", "3"]) == ""


def test_a_review_of_a_five_year_period_answers_for_its_last_year():
    review = _p("空气质量优良率升至85%。", title="某区十四五规划(2022年更新)", section="一、“十三五”时期发展成就 > 5.生态")
    assert scope.gap(scope.constraints("2020年某区空气质量优良率是多少？"), review) == ""
    # inside the span, not its end
    assert scope.gap(scope.constraints("2018年某区空气质量优良率是多少？"), review) == "2018年"


def test_a_sentence_from_a_chapter_about_another_span_does_not_answer_for_an_asked_year():
    targets = _p("锚定二〇三五年远景目标。全区生产总值突破1500亿元。", title="某区十四五规划(2022年更新)",
                 section="三、“十四五”经济社会发展新要求 > (四)发展目标")
    far = scope.constraints("某区2035年生产总值要达到多少亿元？")
    assert checks.answer_gap(far, targets, "全区生产总值突破1500亿元。", ["1500"]) == "2035年"
    end = scope.constraints("某区2025年生产总值要达到多少亿元？")  # the span's last year: its targets
    assert checks.answer_gap(end, targets, "全区生产总值突破1500亿元。", ["1500"]) == ""


def test_an_outcome_is_asked_with_final_words_or_a_verb_that_reached():
    for asked in ("南湖区2021年跨境电商交易额最后做到了多少？", "越城区2021年研发投入占比最终有没有做到2.7%？",
                  "南湖区2021年外贸出口涨到了多少？"):
        assert scope.constraints(asked).actual, asked
    for planned in ("“十四五”最后一年的目标是多少？", "南湖区2021年计划最后做到多少？"):
        assert not scope.constraints(planned).actual, planned


def test_money_is_asked_with_its_noun_before_or_after_the_ask():
    assert scope.constraints("这些企业获得了多少奖励资金？").unit == "元"
    assert scope.constraints("项目投资额是多少？").unit == "元"
    assert scope.constraints("投资增长了多少？").unit == ""  # a change, not an amount of money
