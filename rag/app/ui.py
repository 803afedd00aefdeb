"""UI: the Chinese chat window (Gradio, messages format) with sources, documents and settings."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import anyio
import gradio as gr

from rag.app import library, transcript
from rag.index import collections
from rag.errors import RagError
from rag.app.pageview import for_folder
from rag.answer.turns import history_pairs, message_text
from rag.app.rendering import (CSS, DETAILS_CLASS, HEAD_JS, answer_html, passages_html, plain_text,
                               sources_html)
from rag.app.service import ChatService

# Dev set: 1.5B accuracy 0.86, first token 4.1 s; 0.5B accuracy 0.38, first token 1.9 s.
MODELS = {"1.5B（默认，更准确）": "llm", "0.5B（更快，准确率明显较低）": "llm_fast"}
SOURCES_EMPTY = "<h4>引用的资料</h4><p>提问后，这里显示回答所依据的段落。</p>"
STOPPED = '<span class="rag-stopped">（已停止）</span>'


def example_questions(settings) -> list[str]:
    """Example questions from the sidecar metadata's "_examples" list, if the corpus has one."""
    from rag.ingest.loading import load_metadata

    return [q for q in load_metadata(Path(settings.docs_dir)).get("_examples", []) if isinstance(q, str)][:6]


async def respond(service: ChatService, question, chat, k, model, show_timings, records=None, kb=""):
    """Generator for one turn: status, passages, streamed tokens, then the checked answer.

    `records` maps an assistant message's index to its Answer (for feedback and the export); `kb`
    names the collections asked ("" = the app's own).
    """
    question = (question or "").strip()
    records = dict(records or {})
    if not question:  # a slip, not a failure: a notice, and the page stays as it was
        gr.Warning("问题为空，请输入一个问题。")
        yield list(chat or []), gr.update(), "", records
        return
    prior = history_pairs(chat or [], plain_text)
    chat = list(chat or []) + [{"role": "user", "content": question},
                               {"role": "assistant", "content": "检索中…"}]
    yield chat, gr.update(), "", records
    events, text = service.stream(question, prior, k=int(k), role=MODELS.get(model, "llm"), kb=kb), ""
    try:
        while (event := await _next(events)) is not None:
            sources = gr.update()
            if event.kind == "queued":
                chat[-1]["content"] = f"排队中：前面还有 {event.data} 个问题…"
            elif event.kind == "passages":
                chat[-1]["content"], sources = "生成中…", passages_html(event.data)
            elif event.kind == "token":
                text += event.data
                chat[-1]["content"] = text
            elif event.kind == "answer":
                chat[-1]["content"], sources = (answer_html(event.data, show_timings),
                                                sources_html(event.data, page_link(service, kb)))
                records[str(len(chat) - 1)] = event.data.to_dict()
            else:
                continue  # status, standalone: nothing new to show
            yield chat, sources, "", records
    except RagError as exc:
        raise gr.Error(str(exc)) from exc
    finally:
        events.close()  # 停止 or an error: the answer stops at its next token and gives its turn on


def page_link(service, kb: str = ""):
    """The page view of a cited PDF, in the folder of the collection it comes from."""
    if getattr(service, "settings", None) is None:
        return None
    if "," not in kb:
        return for_folder(service.settings_for(kb).docs_dir).link
    # several collections: a document is named "collection/file"
    folders = {name: for_folder(service.settings_for(name).docs_dir) for name in collections.names(kb)}

    def link(item: dict, quote: str = "") -> str:
        name, _, doc_id = item.get("doc_id", "").partition("/")
        return folders[name].link({**item, "doc_id": doc_id}, quote) if name in folders else ""
    return link


def chosen(names, own: str) -> str:
    """The `kb` for the collections chosen above the chat: "" for the app's own (or none chosen)."""
    names = [n for n in (names or []) if n]
    return "" if not names or names == [own] else ",".join(names)


async def _next(events):
    """The next event, awaited so that 停止 can abandon the wait at once.

    Gradio's cancel waits for the handler to return; a thread blocked until the model's next
    token (seconds, while a prompt is evaluated) made 停止 slow, and the page then cancelled
    the user's next question too.
    """
    return await anyio.to_thread.run_sync(next, events, None, abandon_on_cancel=True)


def last_question(chat) -> tuple[str, list]:
    """The last question and the conversation before it (for 重试); no question: ("", chat)."""
    users = [i for i, m in enumerate(chat or []) if m["role"] == "user"]
    if not users:
        gr.Warning("还没有可以重试的问题。")
        return "", list(chat or [])
    return message_text(chat[users[-1]]["content"]), chat[:users[-1]]


def mark_stopped(chat):
    """After 停止: say so under the partial answer (a finished answer carries its details block instead)."""
    chat = list(chat or [])
    if chat and chat[-1]["role"] == "assistant":
        content = message_text(chat[-1]["content"])
        if DETAILS_CLASS not in content and STOPPED not in content:
            chat[-1] = {**chat[-1], "content": f"{content}\n\n{STOPPED}"}
    return chat


def export_conversation(chat, records, folder: Path):
    """The conversation as a Markdown file, shown for download."""
    if not chat:
        gr.Warning("还没有对话可以导出。")
        return gr.update()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"对话记录-{time.strftime('%Y%m%d-%H%M%S')}.md"
    path.write_text(transcript.markdown(chat, records), encoding="utf-8")
    return gr.update(value=str(path), visible=True)


def _chat_panel(settings, examples: list[str], names: list[str], own: str) -> SimpleNamespace:
    ui = SimpleNamespace()
    ui.kb = gr.Dropdown(names, value=[own], multiselect=True, label="知识库（可多选）", elem_id="kb")
    with gr.Row(elem_id="chat-row"):
        with gr.Column(scale=3, min_width=300):
            ui.chat = gr.Chatbot(label="对话", height=520, buttons=["copy"],
                                 feedback_options=("Like", "Dislike"),
                                 examples=[{"text": q} for q in examples] or None, elem_id="chat",
                                 placeholder="向文档提问，例如："
                                 + ("；".join(examples[:2]) if examples else "某项目标是多少？"))
            ui.box = gr.Textbox(placeholder="输入问题，回车发送", show_label=False,
                                elem_id="question")
            with gr.Row(elem_id="actions"):
                ui.send = gr.Button("发送", variant="primary", elem_id="send")
                ui.stop = gr.Button("停止", elem_id="stop")
                ui.retry = gr.Button("重试", elem_id="retry")
                ui.clear = gr.Button("清空", elem_id="clear")
                ui.export = gr.Button("导出对话", elem_id="export")
            ui.export_file = gr.File(label="导出的对话（Markdown）", visible=False,
                                     elem_id="export-file")
        with gr.Column(scale=2, min_width=300):
            ui.sources = gr.HTML(SOURCES_EMPTY, elem_id="sources")
    with gr.Accordion("设置", open=False, elem_id="settings"):
        ui.model = gr.Radio(list(MODELS), value=next(iter(MODELS)), label="回答模型", elem_id="model")
        ui.k = gr.Slider(2, 6, value=settings.top_k, step=1, label="提供给模型的段落数",
                         elem_id="top-k")
        ui.timings = gr.Checkbox(value=True, label="显示耗时", elem_id="timings")
    return ui


def _wire_chat(ui: SimpleNamespace, service: ChatService, lanes: int, exports: Path, own: str) -> None:
    answer = {"concurrency_limit": lanes, "concurrency_id": "answer"}
    # the collections chosen travel with each request: two browser sessions may choose differently
    inputs = [ui.box, ui.chat, ui.k, ui.model, ui.timings, ui.records, ui.kb]
    outputs = [ui.chat, ui.sources, ui.box, ui.records]
    turn = [ui.chat, ui.k, ui.model, ui.timings, ui.records, ui.kb]

    async def ask(question, chat, k, model, timings, records, kb):
        async for update in respond(service, question, chat, k, model, timings, records, chosen(kb, own)):
            yield update

    async def redo(chat, k, model, timings, records, kb):
        question, before = last_question(chat)
        if not question:
            yield before, gr.update(), "", records
            return
        async for update in respond(service, question, before, k, model, timings, records, chosen(kb, own)):
            yield update

    async def pick_example(chat, k, model, timings, records, kb, data: gr.SelectData):
        async for update in respond(service, message_text(data.value), chat, k, model, timings, records,
                                    chosen(kb, own)):
            yield update

    running = [ui.box.submit(ask, inputs, outputs, **answer),
               ui.send.click(ask, inputs, outputs, api_name="ask", **answer),
               ui.retry.click(redo, turn, outputs, **answer), ui.chat.retry(redo, turn, outputs, **answer),
               ui.chat.example_select(pick_example, turn, outputs, **answer)]
    # The label goes on after the cancel has gone through: marked at the same time, a token already
    # on its way to the page could land after it and wipe it (seen once in a CI run).
    ui.stop.click(None, None, None, cancels=running).then(mark_stopped, [ui.chat], [ui.chat])
    ui.clear.click(lambda: ([], SOURCES_EMPTY, "", {}), None, outputs)
    ui.chat.clear(lambda: (SOURCES_EMPTY, {}), None, [ui.sources, ui.records])  # the chat's own trash icon

    def export(chat, records):
        return export_conversation(chat, records, exports)

    ui.export.click(export, [ui.chat, ui.records], [ui.export_file])

    def on_like(records, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        answer = (records or {}).get(str(index), {})
        service.feedback({"liked": data.liked, "question": answer.get("question", ""),
                          "answer": answer.get("text", ""), "citations": answer.get("citations", []),
                          "refused": answer.get("refused")})

    ui.chat.like(on_like, [ui.records], None)


def build_app(settings, service: ChatService | None = None) -> gr.Blocks:
    service = service or ChatService(settings)
    # In-process llama.cpp answers one at a time; N remote answer servers can take N at once.
    lanes = max(1, len(settings.llm_url_list)) if settings.llm_backend == "openai" else 1
    exports = Path(tempfile.mkdtemp(prefix="rag-export-"))
    names, own = list(collections.load(service.base.index_dir, service.base.docs_dir)), own_name(service)
    with gr.Blocks(title="本地文档问答") as demo:
        gr.Markdown("## 本地文档问答 · 只依据你的文档回答，并标注出处")
        with gr.Tab("问答"):
            ui = _chat_panel(settings, example_questions(settings), names, own)
        with gr.Tab("文档"):
            library.panel(ui, names, own)
        ui.records = gr.State({})
        _wire_chat(ui, service, lanes, exports, own)
        library.wire(ui, service, lanes, demo, own)
        # the 文档 tab follows the first collection chosen above the chat
        ui.kb.change(lambda kb: (kb or [own])[0], [ui.kb], [ui.kb_docs])

        def known():  # a collection created with `rag kb create` while the app runs shows on reload
            now = list(collections.load(service.base.index_dir, service.base.docs_dir))
            if now == names:  # nothing new: the selectors are left alone (no change events at load)
                return gr.skip(), gr.skip()
            return gr.update(choices=now), gr.update(choices=now)
        demo.load(known, None, [ui.kb, ui.kb_docs])
    return demo


def own_name(service) -> str:
    """The name of the collection the app was started on."""
    return collections.names(service.settings.kb)[0] if service.settings.kb else collections.DEFAULT


def launch(settings, service: ChatService | None = None, **kwargs):
    """Serve the app (blocking unless `prevent_thread_lock=True`); `service` is injected by tests."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    service = service or ChatService(settings)
    settings = service.settings  # with the collection it names chosen
    if not service.index_ready():
        print(f"索引不存在或与当前设置不符，正在建立 / "
              f"building the index in {settings.index_dir} …", flush=True)
        print(service.rebuild().summary(), flush=True)
    service.pipeline()  # load the models before the first user waits on them
    demo = build_app(settings, service)
    demo.queue(default_concurrency_limit=1)
    auth = os.environ.get("RAG_AUTH")  # "user:password" for anyone who exposes the app beyond loopback
    # cited PDF pages of every collection, read-only
    known = collections.load(service.base.index_dir, service.base.docs_dir)
    kwargs.setdefault("allowed_paths",
                      [path for c in known.values() for path in for_folder(c.docs).allowed_paths()])
    demo.launch(server_name=settings.host, server_port=settings.port, css=CSS, head=HEAD_JS,
                auth=tuple(auth.split(":", 1)) if auth and ":" in auth else None, footer_links=[], **kwargs)
    return demo
