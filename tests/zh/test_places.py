"""Places: the national gazetteer, parent chains, and names the table lacks found by their suffix."""

from __future__ import annotations

from rag.zh.places import ends_like_place, gazetteer, most_specific, place_chain, suffixed_names


def test_gazetteer_knows_places_outside_the_corpus_with_their_parents():
    g = gazetteer()
    names = [p.name for p in g.find("杭州2024年和上海市杨浦区的目标")]
    assert names == ["杭州市", "上海市", "杨浦区"]
    keqiao = g.find("柯桥区")[0]
    assert [p.name for p in g.chain(keqiao)] == ["浙江省", "绍兴市", "柯桥区"] and keqiao.within(g.find("绍兴")[0])
    assert [p.name for p in most_specific(g.find("浙江省绍兴市越城区"))] == ["越城区"]
    assert g.find("机器人足球邀请赛和图书馆借阅系统") == []  # county short forms are not matched
    # the one in the corpus's city
    assert g.find("鼓楼区", prefer=frozenset({"320100000000"}))[0].code.startswith("3201")


def test_a_name_ending_in_a_level_suffix_is_a_place_unless_it_names_a_kind_of_area():
    assert suffixed_names(["杭州市", "和", "柯桥", "区", "的", "开发区", "全市"]) == ["杭州市", "柯桥区"]
    assert place_chain("嘉兴市南湖区") == ["嘉兴", "南湖"]
    assert ends_like_place("城镇") and ends_like_place("绍兴市") and not ends_like_place("投资")


def test_table_rows_named_as_a_kind_of_area_are_not_places():
    """城区, 新区 and 老城区 are rows of the table, and ordinary words: "在老城区开张" is the old town."""
    g = gazetteer()
    assert [p.name for p in g.find("2024年绍兴打算在老城区开张哪三条主题街？")] == ["绍兴市"]
    assert g.find("城区的新区和东区") == [] and g.find("地标性新城区") == []
    assert [p.name for p in g.find("洛阳市老城区")] == ["洛阳市"] and g.find("上海市杨浦区")[1].name == "杨浦区"


def test_a_place_name_must_start_a_word():
    """Chinese writes no spaces: 中区 (a district of Taichung) inside 文旅集中区 is part of another word."""
    g = gazetteer()
    assert g.mentions("绍兴2024年要建多少个晚上逛吃玩的文旅集中区？") == ["绍兴"]
    assert g.mentions("我在和县上班") == ["和县"] and g.mentions("杭州市上城区2021年") == ["杭州市", "上城区"]
    assert g.mentions("绍兴市区的公交") == ["绍兴市"]
