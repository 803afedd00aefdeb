"""Restating: the cited passage's own words are added under an answer that says too little of them."""

from __future__ import annotations

from rag.grounding.citing import Checked, check
from rag.grounding.restating import bare_rest, hollow_rest, named_rest, parallel_rest
from tests.grounding.test_citing import _p



def test_an_answer_with_one_figure_of_a_parallel_list_gets_the_cited_clause():
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


def test_an_answer_that_only_restates_the_question_gets_the_cited_sentence():
    question = "2023年奋力实现的“亚运出彩”等四项目标具体是哪四项？"
    quote = "奋力实现亚运出彩、经济出新、项目出效、风险出清。"
    hollow = Checked(text="2023年奋力实现的“亚运出彩”等四项目标具体是：[1]", citations=[{"n": 1, "quote": quote}])
    assert hollow_rest(hollow, question) == f"原文：“{quote}”[1]"
    full = Checked(text="亚运出彩、经济出新、项目出效、风险出清[1]。", citations=[{"n": 1, "quote": quote}])
    assert hollow_rest(full, question) == ""
    assert hollow_rest(Checked(text="83%以上[1]", citations=[{"n": 1, "quote": "优良率达83%以上。"}]),
                       "优良率目标是多少？") == ""
    # a count asked, answered in words only: the cited sentence gives the figure
    reminder = "借阅系统会在图书到期前3天通过短信发送提醒；"
    worded = Checked(text="是的，借阅系统会在到期前几天通过短信发送提醒[1]。", citations=[{"n": 1, "quote": reminder}])
    assert hollow_rest(worded, "借阅系统会在到期前几天发送提示短信？") == f"原文：“{reminder}”[1]"
    assert hollow_rest(worded, "借阅系统会发送提示短信吗？") == ""  # no count asked


def test_a_question_asking_for_words_gets_the_cited_clause_verbatim():
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
    budget = [_p(1, "城乡居民人均可支配收入分别增长7.5%、8%。一般公共预算收入增长8%，税收收入占比提高。")]
    question = "越城区2021年一般公共预算收入增长目标是多少？"
    out = check("8%[1]", budget, question)
    assert "一般公共预算收入增长8%" in out.citations[0]["quote"]  # the question's words pick the sentence
    assert bare_rest(out, question) == "原文：“一般公共预算收入增长8%”[1]"
    worded = check("一般公共预算收入增长8%[1]。", budget, question)
    assert bare_rest(worded, question) == ""  # the answer already says what the figure is of
    twice = Checked(text="9%[1]", citations=[{"n": 1, "quote": "主要目标为:员工人均薪酬分别增长5%、9%,净利润增长9%。"}])
    assert bare_rest(twice, "净利润的增长目标是多少？") == "原文：“净利润增长9%”[1]"
