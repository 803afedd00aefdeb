"""The chat window over several collections: the selector above the chat, the 文档 tab on the chosen
collection and its chunk view (handlers called as Gradio calls them, fakes behind a real ChatService)."""

from __future__ import annotations

import asyncio

import gradio as gr
import pytest

from rag.app.ui import build_app
from rag.index import collections
from tests.app.test_ui import DEFAULT, _handler, _last
from tests.conftest import GENERAL

LIBRARY = "星河市图书馆的开放时间是什么？"


@pytest.fixture
def demo(two_services):
    return build_app(two_services.base, two_services)


def _ask(demo, question, kb):
    return _handler(demo, "ask")(question, [], 4, DEFAULT, True, {}, kb)


def test_the_selector_offers_every_collection_and_starts_on_the_apps_own(demo):
    selector = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "kb")
    assert [c[0] for c in selector.choices] == ["seeds", "general"] and selector.value == ["seeds"]


def test_an_answer_comes_from_the_chosen_collection_and_names_it_when_several_are_chosen(demo):
    _, sources, _, records = _last(_ask(demo, LIBRARY, ["general"]))
    cited = records["1"]["citations"]
    assert cited and (GENERAL / cited[0]["doc_id"]).is_file() and "src-card" in sources
    _, _, _, records = _last(_ask(demo, LIBRARY, ["seeds", "general"]))
    cited = records["1"]["citations"]
    assert cited[0]["doc_id"].startswith("general/") and "（general）" in cited[0]["title"]


def test_two_sessions_asking_different_collections_at_once_each_get_their_own(demo):
    async def both():
        async def run(question, kb):
            return [u async for u in _ask(demo, question, kb)][-1][3]["1"]["citations"]
        return await asyncio.gather(run(LIBRARY, ["general"]), run("越城区2021年5G基站的建设计划是什么？", ["seeds"]))

    general, seeds = asyncio.run(both())
    assert (GENERAL / general[0]["doc_id"]).is_file() and not (GENERAL / seeds[0]["doc_id"]).is_file()


def test_the_documents_tab_lists_the_chosen_collection_and_shows_a_documents_chunks(demo):
    rows, built, _ = _handler(demo, "refresh")("general")
    assert {r[0] for r in rows} == {p.name for p in GENERAL.glob("*.txt")} and "上次建立索引" in built
    table = _handler(demo, "chunks")("faq_library.txt", "general")
    assert table and [len(row) for row in table] == [5] * len(table)
    assert table[0][0] == 1 and table[0][2].startswith("第") and table[0][3] == len(table[0][4])
    assert any("开放时间" in row[4] for row in table)


def test_a_collection_created_while_the_app_runs_is_offered_on_reload(demo, two_services):
    from tests.conftest import SEEDS

    assert _handler(demo, "known")() == (gr.skip(), gr.skip())  # nothing new: the page is left alone
    collections.create(two_services.base.index_dir, "plans", SEEDS, two_services.base.docs_dir)
    chat_side, docs_side = _handler(demo, "known")()
    assert chat_side["choices"] == docs_side["choices"] == ["seeds", "general", "plans"]
