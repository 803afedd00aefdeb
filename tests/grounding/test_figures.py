"""Figures keep the qualifier their source gives them."""

from rag.grounding.figures import as_written


def test_inside_qualifier_restored():
    assert as_written("建成5G基站1300个[1]。", ["累计建成5G基站1300余个，实现全覆盖"]) == "建成5G基站1300余个[1]。"


def test_after_qualifier_restored_for_percent_and_units():
    assert as_written("增长6.5%", ["地区生产总值增长6.5%以上"]) == "增长6.5%以上"
    assert as_written("引育顶尖人才10人。", ["力争新引育顶尖人才10人以上"]) == "引育顶尖人才10人以上。"


def test_left_alone_when_a_source_also_writes_it_bare():
    sources = ["新增1300个", "累计1300余个"]
    assert as_written("1300个", sources) == "1300个"
    assert as_written("增长6.5%", ["增长6.5%以上", "去年增长6.5%"]) == "增长6.5%"


def test_already_qualified_or_other_figures_untouched():
    assert as_written("1300余个", ["1300余个"]) == "1300余个"
    assert as_written("6.5%以上", ["6.5%以上"]) == "6.5%以上"
    assert as_written("13个", ["1300余个"]) == "13个"
    assert as_written("10个", ["10人以上"]) == "10个"  # another unit is another figure


def test_traditional_answer_gets_traditional_qualifier():
    assert as_written("建成1300個", ["建成1300余个"]) == "建成1300餘個"


def test_a_bound_written_before_the_figure_is_restored():
    assert as_written("支出压减10%[1]。", ["非重点项目支出压减不低于10%，把更多资金用于民生"]) == "支出压减不低于10%[1]。"
    assert as_written("压减不低于10%", ["压减不低于10%"]) == "压减不低于10%"
    assert as_written("压减10%", ["压减不低于10%", "增长10%"]) == "压减10%"  # written both ways


def test_a_count_of_people_keeps_the_sources_classifier():
    assert as_written("新增大学生就业12万人[1]", ["新增大学生就业12万名"]) == "新增大学生就业12万名[1]"
    assert as_written("12万人", ["12万人", "12万名"]) == "12万人"


def test_a_count_of_things_keeps_the_sources_measure_word():
    """The model echoes the question's measure word ("盖多少座礼堂" → "18座"); the source says 18个."""
    assert as_written("新建农村文化礼堂18座[1]", ["新建城市书房3家、农村文化礼堂18个"]) == "新建农村文化礼堂18个[1]"
    assert as_written("18座", ["18座", "18个"]) == "18座"  # the source writes both: nothing to restore
    assert as_written("18人", ["18个"]) == "18人"  # another kind: a person is not a thing
    assert as_written("12个", ["12家"]) == "12家"
