"""What each check did on a gold set, counted from the checks each answer records."""

from __future__ import annotations

from rag.evaluation import ablation


def _answer(*fired) -> dict:
    return {"checks": [{"check": c, "stage": s, "withheld": w} for c, s, w in fired]}


def test_lost_answers_withheld_wrong_ones_and_saved_refusals_are_told_apart():
    items = [{"must_include": ["120台"]}, {"must_include": ["120台"]}, {"must_include": ["5个"]},
             {"must_include": []}, {"must_include": ["9.67万人"]}]
    answers = [_answer(("unit", "cited", "加装电梯120台[1]。")),  # a right answer withheld: lost
               _answer(("unit", "cited", "加装电梯80台[1]。")),  # a wrong one withheld: no loss
               _answer(("place", "passage", "")),  # refused before the model was asked: lost
               _answer(("unit", "cited", "产值12亿元[1]。"), ("measure", "cited", "产值12亿元[1]。")),
               _answer()]
    rows = ablation.table(items, answers, ("place", "unit", "measure", "naming"))
    assert rows["unit"] == {"fired_answerable": 2, "lost": 1, "withheld_wrong": 1, "saved": 1}
    assert rows["place"] == {"fired_answerable": 1, "lost": 1, "withheld_wrong": 0, "saved": 0}
    assert rows["measure"]["saved"] == 1 and not any(rows["naming"].values())
    text = ablation.render(rows)
    assert "| unit | 2 | 1 | 1 | 1 |" in text and "naming" not in text


def test_wording_overlap_is_the_share_of_the_questions_character_pairs_the_evidence_holds():
    from rag.evaluation.metrics import wording_overlap

    copied = {"question": "新建5G基站多少个？", "evidence": ["新建5G基站1500个"]}
    own_words = {"question": "要装几个5G信号塔？", "evidence": ["新建5G基站1500个"]}
    # pairs never bridge a figure or a Latin letter: 新建, 基站, 站多, 多少, 少个; the evidence holds two
    assert wording_overlap(copied) == 0.4
    assert wording_overlap(own_words) == 0.0
    assert wording_overlap({"question": "今年呢？", "evidence": []}) is None
