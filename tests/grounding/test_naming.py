"""An answer to "what are the N things called" must name things of that kind."""

from rag.grounding.naming import asked_kind, unnamed


def test_the_counted_kind_is_found():
    assert asked_kind("某区2021年计划新增的2所省一级幼儿园叫什么名字？") == "省一级幼儿园"
    assert asked_kind("特展的21件一级文物分别来自哪9家博物馆？") == "博物馆"
    assert asked_kind("两个“2”分别指哪几家机构？") == ""  # no count of the kind: a list question
    assert asked_kind("某区2021年新增多少所幼儿园？") == ""  # a count question


def test_names_of_another_kind_or_only_the_count_do_not_answer():
    q = "某区2021年计划新增的2所省一级幼儿园叫什么名字？"
    assert unnamed(q, "某区2021年计划新增的2所省一级幼儿园叫实验学校和亚欧学校[1]。") == "“省一级幼儿园”的名称"
    assert unnamed("特展的文物来自哪9家博物馆？", "特展的文物分别来自国内9家博物馆[1]。") == "“博物馆”的名称"


def test_real_names_answer():
    q = "某区2021年计划新增的2所省一级幼儿园叫什么名字？"
    assert unnamed(q, "分别是南湖实验幼儿园、城南幼儿园[1]。") == ""
    assert unnamed("特展的文物来自哪9家博物馆？", "来自故宫博物院、南京博物院、湖南省博物馆等[1]。") == ""


def test_a_list_of_names_without_the_kind_word_answers():
    assert unnamed("规划要打造哪四条经典游线？", "打造“古城、研学、休闲、黄酒”四条经典游线[1]。") == ""
    assert unnamed("计划建成哪三条特色街区？", "建成运营小吃、茶饮、酒吧三条特色街区[1]。") == ""
    assert asked_kind("四项目标具体是哪四项？") == ""  # the count after 哪 names no kind
