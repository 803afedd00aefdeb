"""Citations are checked after generation: re-pointed, dropped or flagged, never trusted blindly."""

from __future__ import annotations

from rag.grounding.citing import check, contains_number, is_refusal
from rag.grounding.passages import Passage


def _p(n, text, title="越城区2021年区府办工作计划", doc="000.txt"):
    return Passage(n=n, chunk_id=f"{doc}#{n}", doc_id=doc, title=title, section="", place="绍兴市越城区", start_line=n, end_line=n,
                   text=text, full_text=text)


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


def test_an_answer_with_one_figure_of_a_parallel_list_gets_the_cited_clause():
    from rag.grounding.citing import Checked, parallel_rest

    quote = "户籍人员基本社保、医保参保率分别达到98%、99%以上，每千人拥有医师3.5人。"
    partial = Checked(text="99%以上[1]", citations=[{"n": 1, "quote": quote}])
    assert parallel_rest(partial, "社保、医保参保率的目标是多少？") == "原文：“户籍人员基本社保、医保参保率分别达到98%、99%以上”[1]"
    whole = Checked(text="98%、99%以上[1]", citations=[{"n": 1, "quote": quote}])
    assert parallel_rest(whole, "社保、医保参保率的目标是多少？") == ""
    no_list = Checked(text="70个[1]", citations=[{"n": 1, "quote": "建设15个分中心，推出70项场景和10个专区。"}])
    assert parallel_rest(no_list, "建设多少个分中心？") == ""
    pair = Checked(text="95%左右[1]", citations=[{"n": 1, "quote": "城乡生活垃圾分类覆盖率分别达到95%和100%,工业危废处置率达到98%以上。"}])
    assert parallel_rest(pair, "垃圾分类覆盖率的目标分别是多少？") == "原文：“城乡生活垃圾分类覆盖率分别达到95%和100%”[1]"
    unlike = Checked(text="450亿元[3]", citations=[{"n": 3, "quote": "预计实现旅游总收入450亿元、增长28.5%。"}])
    assert parallel_rest(unlike, "旅游总收入是多少？") == ""  # an amount and its growth are not a list
    # The same figure in a list about another metric: the asked metric's own clause holds it.
    twice = Checked(text="9%[1]", citations=[{"n": 1, "quote": "主要目标为:营业收入增长6%,净利润增长9%,员工人均薪酬分别增长5%、9%。"}])
    assert parallel_rest(twice, "净利润的增长目标是多少？") == ""


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


def test_an_answer_that_only_restates_the_question_gets_the_cited_sentence():
    from rag.grounding.citing import Checked, hollow_rest

    question = "2023年奋力实现的“亚运出彩”等四项目标具体是哪四项？"
    quote = "奋力实现亚运出彩、经济出新、项目出效、风险出清。"
    hollow = Checked(text="2023年奋力实现的“亚运出彩”等四项目标具体是：[1]", citations=[{"n": 1, "quote": quote}])
    assert hollow_rest(hollow, question) == f"原文：“{quote}”[1]"
    full = Checked(text="亚运出彩、经济出新、项目出效、风险出清[1]。", citations=[{"n": 1, "quote": quote}])
    assert hollow_rest(full, question) == ""
    assert hollow_rest(Checked(text="83%以上[1]", citations=[{"n": 1, "quote": "优良率达83%以上。"}]), "优良率目标是多少？") == ""
    # a count asked, answered in words only: the cited sentence gives the figure
    reminder = "借阅系统会在图书到期前3天通过短信发送提醒；"
    worded = Checked(text="是的，借阅系统会在到期前几天通过短信发送提醒[1]。", citations=[{"n": 1, "quote": reminder}])
    assert hollow_rest(worded, "借阅系统会在到期前几天发送提示短信？") == f"原文：“{reminder}”[1]"
    assert hollow_rest(worded, "借阅系统会发送提示短信吗？") == ""  # no count asked


def test_a_sentence_with_figures_from_two_passages_cites_both():
    fifth, sixth = _p(1, "第五届马拉松总参赛人数1.2万人。"), _p(2, "第六届马拉松总参赛人数1.5万人。")
    out = check("第五届总参赛人数是1.2万人，第六届是1.5万人[1]。", [fifth, sixth], "第五届和第六届的参赛人数分别是多少？")
    assert [c["n"] for c in out.citations] == [1, 2] and out.warnings == []


def test_a_question_asking_for_words_gets_the_cited_clause_verbatim():
    from rag.grounding.citing import Checked, named_rest

    quote = "【5】“1+8+X”大救助体系:“1”指浙江省大救助信息系统“浙里救”,“8”指低保、特困、救灾"
    paraphrase = Checked(text="浙江省大救助信息系统[1]", citations=[{"n": 1, "quote": quote}])
    question = "“1+8+X”大救助体系中的“1”指的是哪个信息系统？"
    assert named_rest(paraphrase, question) == "原文：“【5】“1+8+X”大救助体系:“1”指浙江省大救助信息系统“浙里救””[1]"
    # already said in full, a figure answered, a count asked, or refused: nothing is added
    whole = Checked(text="“1”指浙江省大救助信息系统“浙里救”[1]。", citations=[{"n": 1, "quote": "“1”指浙江省大救助信息系统“浙里救”"}])
    assert named_rest(whole, question) == ""
    assert named_rest(Checked(text="60%以上[1]", citations=[{"n": 1, "quote": quote}]), "覆盖率的目标是什么？") == ""
    assert named_rest(paraphrase, "“1+8+X”大救助体系包括几个信息系统？") == ""
    assert named_rest(paraphrase, "“1+8+X”大救助体系中的“1”指的是哪几个信息系统？")  # which ones, not how many
    assert named_rest(Checked(text="资料中没有相关信息。", refused=True), question) == ""


def test_a_bare_figure_gets_the_clause_that_says_what_it_is_of():
    from rag.grounding.citing import Checked, bare_rest

    budget = [_p(1, "城乡居民人均可支配收入分别增长7.5%、8%。一般公共预算收入增长8%，税收收入占比提高。")]
    question = "越城区2021年一般公共预算收入增长目标是多少？"
    out = check("8%[1]", budget, question)
    assert "一般公共预算收入增长8%" in out.citations[0]["quote"]  # the question's words pick the sentence
    assert bare_rest(out, question) == "原文：“一般公共预算收入增长8%”[1]"
    worded = check("一般公共预算收入增长8%[1]。", budget, question)
    assert bare_rest(worded, question) == ""  # the answer already says what the figure is of
    twice = Checked(text="9%[1]", citations=[{"n": 1, "quote": "主要目标为:员工人均薪酬分别增长5%、9%,净利润增长9%。"}])
    assert bare_rest(twice, "净利润的增长目标是多少？") == "原文：“净利润增长9%”[1]"
