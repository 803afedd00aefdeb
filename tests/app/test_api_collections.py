"""The API over several collections: `/v1/models` lists them and `model: "rag:NAME"` chooses them, through the
real `openai` client over loopback (fakes behind it)."""

from __future__ import annotations

import pytest

from rag.app.api import build_api, model_choice
from tests.app.test_api import _client
from tests.conftest import GENERAL, ServerThread

LIBRARY = "星河市图书馆的开放时间是什么？"


@pytest.fixture
def server(two_services):
    with ServerThread(build_api(two_services.base, two_services)) as running:
        yield running


def test_model_names_choose_the_answer_model_and_the_collections():
    assert model_choice("rag:news,seeds") == ("rag:news,seeds", "llm", "news,seeds")
    assert model_choice("rag-fast:news") == ("rag-fast:news", "llm_fast", "news")
    assert model_choice("gpt-4o-mini") == ("rag", "llm", "") and model_choice(None) == ("rag", "llm", "")


def test_models_lists_the_collections_and_rag_name_answers_from_that_one(server):
    client = _client(server.url)
    assert {"rag", "rag-fast", "rag:seeds", "rag:general"} <= {m.id for m in client.models.list()}
    reply = client.chat.completions.create(model="rag:general",
                                           messages=[{"role": "user", "content": LIBRARY}])
    cited = reply.model_extra["citations"]
    assert reply.model == "rag:general" and cited and (GENERAL / cited[0]["doc_id"]).is_file()


def test_several_collections_in_one_model_name_cite_their_collection(server):
    client = _client(server.url)
    reply = client.chat.completions.create(model="rag:seeds,general",
                                           messages=[{"role": "user", "content": LIBRARY}])
    cited = reply.model_extra["citations"]
    assert cited and cited[0]["doc_id"].startswith("general/") and "（general）" in cited[0]["title"]


def test_an_unknown_collection_is_a_clear_404(server):
    import openai

    with pytest.raises(openai.NotFoundError, match="no collection named nope"):
        _client(server.url).chat.completions.create(model="rag:nope",
                                                    messages=[{"role": "user", "content": LIBRARY}])
