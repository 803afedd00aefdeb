"""Collections: several document folders, each with its own index and settings, through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag.errors import InputError
from rag.index import collections, store
from rag.index.embedding import HashEmbedder
from tests.conftest import GENERAL, cli_env


def rag(*args, root, seeds, stdin=subprocess.DEVNULL, **env):
    """The real `rag` command on the hash embedder, over an index root whose default documents are
    `seeds`."""
    env = cli_env(RAG_EMBEDDER_ROLE="hash", RAG_EMBED_DIM=256, RAG_DOCS_DIR=seeds, RAG_INDEX_DIR=root,
                  **env)
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], env=env, stdin=stdin,
                          capture_output=True, text=True, timeout=120)


def test_an_index_built_before_collections_is_the_default_collection(hash_index):
    root = hash_index.index_dir
    before = store.current_build(root)
    found = collections.load(root, hash_index.docs_dir)
    assert list(found) == ["seeds"] and found["seeds"].index_dir(root) == root.resolve()
    row = collections.describe(root, found["seeds"])
    assert row["documents"] == 5 and row["chunks"] > 0 and row["embedder"] == "hash-bigram@256"
    assert store.current_build(root) == before  # taken over as it is: nothing rebuilt or moved


def test_create_list_index_and_remove_through_the_cli(hash_index):
    root, seeds = hash_index.index_dir, hash_index.docs_dir
    made = rag("kb", "create", "general", "--docs", str(GENERAL), "--chunk-size", "200",
               root=root, seeds=seeds)
    assert made.returncode == 0, made.stderr
    assert "index" in made.stdout and (root / "general" / "current").exists()
    listed = rag("kb", "list", root=root, seeds=seeds)
    rows = {line.split()[0]: line.split()[1:3] for line in listed.stdout.splitlines()[1:]}
    assert rows["seeds"][0] == "5" and rows["general"][0] == str(len(list(GENERAL.glob("*.txt"))))
    manifest = store.read_manifest(root / "general")
    assert manifest["chunker"]["size"] == 200 and manifest["settings"]["docs_dir"] == str(GENERAL)
    again = rag("index", "--kb", "general", root=root, seeds=seeds)
    assert again.returncode == 0, again.stderr
    # its own chunk size applies again: with the default 300 it would be rebuilt
    assert "up to date, nothing rebuilt" in again.stdout, again.stdout
    gone = rag("kb", "remove", "general", "--yes", root=root, seeds=seeds)
    assert gone.returncode == 0 and str(GENERAL) in gone.stdout
    assert not (root / "general").exists() and any(GENERAL.iterdir())  # the documents stay
    left = rag("kb", "list", root=root, seeds=seeds).stdout.splitlines()[1:]
    assert [r.split()[0] for r in left] == ["seeds"]


def test_each_collection_answers_from_its_own_documents(hash_index):
    from rag.answer.generation import FakeGenerator
    from rag.answer.pipeline import Pipeline
    from rag.index.building import build_index

    collections.create(hash_index.index_dir, "general", GENERAL, hash_index.docs_dir)
    chosen = collections.select(hash_index.with_overrides(kb="general"), "general")
    build_index(chosen, embedder=HashEmbedder(256))
    fake = FakeGenerator(lambda m: "资料中没有相关信息。")
    for settings, folder in ((hash_index, hash_index.docs_dir), (chosen, GENERAL)):
        pipeline = Pipeline.from_settings(settings, embedder=HashEmbedder(256), generator=fake)
        answer = pipeline.answer("图书馆的开放时间是几点到几点？")
        assert answer.passages and all((folder / p["doc_id"]).is_file() for p in answer.passages)


@pytest.mark.parametrize("name", ["a b", "../x", "a/b", "..", "current", "build-1", "", "x" * 41, "a,b"])
def test_a_name_that_cannot_be_a_folder_is_refused_with_what_a_name_may_be(hash_index, name):
    out = rag("kb", "create", name, "--docs", str(GENERAL), root=hash_index.index_dir,
              seeds=hash_index.docs_dir)
    assert out.returncode == 2 and "letters, digits" in out.stderr, out.stderr
    assert not (hash_index.index_dir / collections.REGISTRY).exists()


def test_bad_input_gets_a_clear_error_and_nothing_is_lost(hash_index, tmp_path):
    root, seeds = hash_index.index_dir, hash_index.docs_dir
    (tmp_path / "empty").mkdir()
    made = rag("kb", "create", "general", "--docs", str(GENERAL), "--no-index", root=root, seeds=seeds)
    assert made.returncode == 0, made.stderr
    registry = (root / collections.REGISTRY).read_text(encoding="utf-8")
    for args, said in ((["kb", "create", "general", "--docs", str(GENERAL)], "already exists"),
                       (["kb", "create", "seeds", "--docs", str(GENERAL)], "already exists"),
                       (["kb", "create", "x", "--docs", str(tmp_path / "none")], "does not exist"),
                       (["kb", "create", "x", "--docs", str(tmp_path / "empty")], "is empty"),
                       (["kb", "create", "x"], "--docs DIR"),
                       (["kb", "remove", "general"], "--yes"),
                       (["kb", "remove", "seeds", "--yes"], "default collection"),
                       (["kb", "remove", "nope", "--yes"], "no collection named 'nope'"),
                       (["index", "--kb", "nope"], "rag kb create nope")):
        out = rag(*args, root=root, seeds=seeds)
        assert out.returncode == 2 and said in out.stderr, (args, out.stderr)
    assert (root / collections.REGISTRY).read_text(encoding="utf-8") == registry
    (root / collections.REGISTRY).write_text("{broken", encoding="utf-8")
    out = rag("kb", "list", root=root, seeds=seeds)
    assert out.returncode == 2 and "fix or delete it" in out.stderr


def test_two_collections_created_at_once_are_both_kept(hash_index):
    root, seeds = hash_index.index_dir, hash_index.docs_dir
    env = cli_env(RAG_EMBEDDER_ROLE="hash", RAG_EMBED_DIM=256, RAG_DOCS_DIR=seeds, RAG_INDEX_DIR=root)
    command = [sys.executable, "-m", "rag.cli", "kb", "create"]
    procs = [subprocess.Popen([*command, f"kb{i}", "--docs", str(GENERAL), "--no-index"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    rows = json.loads((root / collections.REGISTRY).read_text(encoding="utf-8"))["collections"]
    assert sorted(r["name"] for r in rows) == ["kb0", "kb1", "kb2", "kb3"]


def test_a_question_running_on_a_removed_collection_still_gets_its_answer(hash_index):
    from rag.answer.generation import FakeGenerator
    from rag.answer.pipeline import Pipeline
    from rag.index.building import build_index

    collections.create(hash_index.index_dir, "general", GENERAL, hash_index.docs_dir)
    chosen = collections.select(hash_index, "general")
    build_index(chosen, embedder=HashEmbedder(256))
    pipeline = Pipeline.from_settings(chosen, embedder=HashEmbedder(256),
                                      generator=FakeGenerator(lambda m: "资料中没有相关信息。"))
    collections.remove(hash_index.index_dir, "general", hash_index.docs_dir)
    assert pipeline.answer("图书馆的开放时间是几点？").passages  # the loaded index answers to the end
    with pytest.raises(InputError, match="no collection named 'general'"):
        collections.select(hash_index, "general")


def test_several_collections_are_searched_each_with_its_own_index_and_named_in_citations(hash_index):
    from rag.answer.generation import FakeGenerator
    from rag.answer.pipeline import Pipeline

    root, seeds = hash_index.index_dir, hash_index.docs_dir
    assert rag("kb", "create", "general", "--docs", str(GENERAL), "--no-index", root=root,
               seeds=seeds).returncode == 0
    both = rag("index", "--kb", "seeds,general", root=root, seeds=seeds)
    assert both.returncode == 0 and both.stdout.count("index ") == 2, both.stderr
    fake = FakeGenerator(lambda m: "见资料[1]。")
    pipeline = Pipeline.from_settings(hash_index.with_overrides(kb="seeds,general"),
                                      embedder=HashEmbedder(256), generator=fake)
    library = pipeline.answer("星河市图书馆的自习座位每人每天最多能预约几个小时？")
    assert library.passages[0]["doc_id"].startswith("general/")
    assert {p["doc_id"].split("/")[0] for p in library.passages} <= {"seeds", "general"}
    assert library.citations and "（general）" in library.citations[0]["title"]
    plan = pipeline.answer("越城区2021年计划新建多少个5G基站？")
    assert plan.passages[0]["doc_id"].startswith("seeds/")
    ids = [h.chunk.id for h in pipeline.retriever.search("马拉松和5G基站", 10)]
    assert len(set(ids)) == len(ids) and {i.split(":")[0] for i in ids} == {"seeds", "general"}
    with pytest.raises(InputError, match="no collection named 'nope'"):
        Pipeline.from_settings(hash_index.with_overrides(kb="seeds,nope"), embedder=HashEmbedder(256),
                               generator=fake)


def test_a_changed_setting_rebuilds_that_collection_only(hash_index):
    root, seeds = hash_index.index_dir, hash_index.docs_dir
    assert rag("kb", "create", "general", "--docs", str(GENERAL), root=root, seeds=seeds).returncode == 0
    seeds_build, general_build = store.current_build(root), store.current_build(root / "general")
    changed = rag("kb", "set", "general", "--chunk-size", "150", root=root, seeds=seeds)
    assert changed.returncode == 0, changed.stderr
    assert store.read_manifest(root / "general")["chunker"]["size"] == 150
    assert store.current_build(root / "general") != general_build and store.current_build(root) == seeds_build
    for args, said in ((["kb", "set", "general"], "nothing to change"),
                       (["kb", "set", "seeds", "--chunk-size", "200"], "RAG_CHUNK_SIZE"),
                       (["kb", "set", "nope", "--ocr", "off"], "no collection named 'nope'")):
        out = rag(*args, root=root, seeds=seeds)
        assert out.returncode == 2 and said in out.stderr, (args, out.stderr)


@pytest.mark.parametrize("delay", [0.5, 2.0])
def test_a_collection_whose_build_was_killed_answers_from_its_previous_build(hash_index, tmp_path, delay):
    import shutil
    import signal
    import time

    from tests.index.test_indexing import _big_corpus

    root, seeds, folder = hash_index.index_dir, hash_index.docs_dir, tmp_path / "big"
    shutil.copytree(GENERAL, folder)
    assert rag("kb", "create", "big", "--docs", str(folder), root=root, seeds=seeds).returncode == 0
    before = {c.id for c in store.load(root / "big", "hash-bigram@256").chunks}
    _big_corpus(folder)
    env = cli_env(RAG_EMBEDDER_ROLE="hash", RAG_EMBED_DIM=256, RAG_EMBED_BATCH=4, RAG_DOCS_DIR=seeds,
                  RAG_INDEX_DIR=root)
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "kb", "set", "big", "--chunk-size", "120"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = store.load(root / "big", "hash-bigram@256")  # the previous build, or the finished new one
    assert {c.id for c in after.chunks} == before or len(after.chunks) > len(before)


def test_an_index_error_in_a_collection_names_the_command_for_that_collection(hash_index):
    from rag.errors import IndexError_
    from rag.index.building import build_index

    collections.create(hash_index.index_dir, "general", GENERAL, hash_index.docs_dir)
    chosen = collections.select(hash_index, "general")
    with pytest.raises(IndexError_, match="rag index --kb general$"):
        store.load(chosen.index_dir, "hash-bigram@256")
    build_index(chosen, embedder=HashEmbedder(256))
    with pytest.raises(IndexError_, match="rag index --kb general --rebuild"):
        store.load(chosen.index_dir, "another-embedder")
    with pytest.raises(IndexError_, match="Run: rag index --rebuild$"):  # the default collection
        store.load(hash_index.index_dir, "another-embedder")


@pytest.mark.parametrize("command", [["ask", "问"], ["eval", "--qa", "x.jsonl"], ["bench", "--qa", "x.jsonl"],
                                     ["index"]])
def test_kb_chooses_the_collection_for_every_command(hash_index, monkeypatch, command):
    from rag import cli

    collections.create(hash_index.index_dir, "general", GENERAL, hash_index.docs_dir)
    monkeypatch.setenv("RAG_INDEX_DIR", str(hash_index.index_dir))
    monkeypatch.setenv("RAG_DOCS_DIR", str(hash_index.docs_dir))
    args = cli.build_parser().parse_args([*command, "--kb", "general"])
    settings = cli._settings(args)
    assert settings.index_dir == (hash_index.index_dir / "general").resolve() and settings.docs_dir == GENERAL


def test_the_app_started_on_a_collection_serves_that_collection(hash_index):
    """`rag serve --kb general` / RAG_KB=general python app.py: the service chooses it."""
    from rag.app.service import ChatService

    collections.create(hash_index.index_dir, "general", GENERAL, hash_index.docs_dir)
    service = ChatService(hash_index.with_overrides(kb="general"), embedder=HashEmbedder(256))
    assert service.settings.index_dir == (hash_index.index_dir / "general").resolve()
    assert service.settings_for("seeds").index_dir == hash_index.index_dir.resolve()
