"""UI: the Chinese chat window (Gradio, messages format) with sources, documents and settings."""

from __future__ import annotations

import os
from pathlib import Path

import gradio as gr

from .errors import RagError
from .rendering import CSS, HEAD_JS, answer_html, passages_html, plain_text, sources_html
from .pipeline import history_pairs, message_text
from .service import ChatService

# Dev set: 1.5B accuracy 0.86, first token 4.1 s; 0.5B accuracy 0.38, first token 1.9 s.
MODELS = {"1.5B（默认，更准确）": "llm", "0.5B（更快，准确率明显较低）": "llm_fast"}


def example_questions(settings) -> list[str]:
    """Example questions from the sidecar metadata's "_examples" list, if the corpus has one."""
    from .loading import load_metadata

    return [q for q in load_metadata(Path(settings.docs_dir)).get("_examples", []) if isinstance(q, str)][:6]


def respond(service: ChatService, question, chat, k, model, show_timings, records=None):
    """Generator for one turn: status, passages, streamed tokens, then the checked answer.

    `records` maps an assistant message's index to its Answer (for feedback with citations).
    """
    question = (question or "").strip()
    if not question:
        raise gr.Error("问题为空，请输入一个问题。")
    records = dict(records or {})
    prior = history_pairs(chat or [], plain_text)
    chat = list(chat or []) + [{"role": "user", "content": question}, {"role": "assistant", "content": "检索中…"}]
    yield chat, gr.update(), "", records
    text = ""
    try:
        for event in service.stream(question, prior, k=int(k), role=MODELS.get(model, "llm")):
            if event.kind == "passages":
                chat[-1]["content"] = "生成中…"
                yield chat, passages_html(event.data), "", records
            elif event.kind == "token":
                text += event.data
                chat[-1]["content"] = text
                yield chat, gr.update(), "", records
            elif event.kind == "answer":
                chat[-1]["content"] = answer_html(event.data, show_timings)
                records[str(len(chat) - 1)] = event.data.to_dict()
                yield chat, sources_html(event.data), "", records
    except RagError as exc:
        raise gr.Error(str(exc)) from exc


def _documents_table(service: ChatService):
    return service.documents(), f"上次建立索引：{service.built_at()}"


def build_app(settings, service: ChatService | None = None) -> gr.Blocks:
    service = service or ChatService(settings)
    examples = example_questions(settings)
    with gr.Blocks(title="本地文档问答") as demo:
        gr.Markdown("## 本地文档问答 · 只依据你的文档回答，并标注出处")
        with gr.Tab("问答"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="对话", height=520, buttons=["copy"], feedback_options=("Like", "Dislike"),
                                      examples=[{"text": q} for q in examples] or None, elem_id="chat",
                                      placeholder="向文档提问，例如：" + ("；".join(examples[:2]) if examples else "某项目标是多少？"))
                    box = gr.Textbox(placeholder="输入问题，回车发送", show_label=False, elem_id="question")
                    with gr.Row():
                        send = gr.Button("发送", variant="primary", elem_id="send")
                        stop = gr.Button("停止", elem_id="stop")
                        retry = gr.Button("重试", elem_id="retry")
                        clear = gr.Button("清空", elem_id="clear")
                with gr.Column(scale=2):
                    sources = gr.HTML("<h4>引用的资料</h4><p>提问后，这里显示回答所依据的段落。</p>", elem_id="sources")
            with gr.Accordion("设置", open=False):
                model = gr.Radio(list(MODELS), value=next(iter(MODELS)), label="回答模型")
                k = gr.Slider(2, 6, value=settings.top_k, step=1, label="提供给模型的段落数")
                timings = gr.Checkbox(value=True, label="显示耗时")
        with gr.Tab("文档"):
            table = gr.Dataframe(headers=["文件", "标题", "段落数", "SHA-256"], interactive=False, elem_id="doc-table")
            built = gr.Markdown(elem_id="built-at")
            upload = gr.File(label="上传文档（.txt .md .html .docx .pdf）", file_count="multiple",
                             file_types=[".txt", ".md", ".html", ".htm", ".docx", ".pdf"], elem_id="upload")
            add = gr.Button("添加并更新索引", variant="primary", elem_id="add-docs")
            with gr.Row():
                victim = gr.Dropdown(label="删除文档", choices=[], elem_id="remove-choice")
                remove = gr.Button("删除并更新索引", elem_id="remove-doc")
            doc_status = gr.Markdown(elem_id="doc-status")

        records = gr.State({})
        # In-process llama.cpp answers one at a time; N remote answer servers can take N at once.
        lanes = max(1, len(settings.llm_url_list)) if settings.llm_backend == "openai" else 1
        run = lambda q, c, kk, m, t, r: (yield from respond(service, q, c, kk, m, t, r))
        inputs = [box, chat, k, model, timings, records]
        outputs = [chat, sources, box, records]
        ev1 = box.submit(run, inputs, outputs, concurrency_limit=lanes, concurrency_id="answer")
        ev2 = send.click(run, inputs, outputs, concurrency_limit=lanes, concurrency_id="answer", api_name="ask")
        stop.click(None, None, None, cancels=[ev1, ev2])

        def last_question(c):
            users = [m for m in (c or []) if m["role"] == "user"]
            if not users:
                raise gr.Error("还没有可以重试的问题。")
            cut = max(i for i, m in enumerate(c) if m["role"] == "user")
            return message_text(users[-1]["content"]), c[:cut]

        def redo(c, kk, m, t, r):
            q, rest = last_question(c)
            yield from respond(service, q, rest, kk, m, t, r)

        turn = [chat, k, model, timings, records]
        retry.click(redo, turn, outputs, concurrency_limit=lanes, concurrency_id="answer")
        chat.retry(redo, turn, outputs, concurrency_limit=lanes, concurrency_id="answer")
        chat.example_select(lambda e, c, kk, m, t, r: (yield from respond(service, e.value["text"], c, kk, m, t, r)),
                            turn, outputs, concurrency_limit=lanes, concurrency_id="answer")
        clear.click(lambda: ([], "<h4>引用的资料</h4>", "", {}), None, outputs)

        def on_like(r, data: gr.LikeData):
            index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
            answer = (r or {}).get(str(index), {})
            service.feedback({"liked": data.liked, "question": answer.get("question", ""), "answer": answer.get("text", ""),
                              "citations": answer.get("citations", []), "refused": answer.get("refused")})

        chat.like(on_like, records, None)

        def refresh():
            rows, when = _documents_table(service)
            return rows, when, gr.update(choices=[r[0] for r in rows])

        def add_docs(files, progress=gr.Progress(track_tqdm=True)):
            added, problems = service.add_files([f if isinstance(f, str) else f.name for f in (files or [])])
            message = _rebuild_message(service, added, problems) if added else "；".join(problems) or "请先选择文件。"
            return (*refresh(), message)

        def remove_doc(doc_id, progress=gr.Progress(track_tqdm=True)):
            if not doc_id:
                raise gr.Error("请先选择要删除的文档。")
            try:
                service.remove(doc_id)
            except RagError as exc:
                raise gr.Error(str(exc)) from exc
            return (*refresh(), _rebuild_message(service, [], [], removed=doc_id))

        add.click(add_docs, [upload], [table, built, victim, doc_status], concurrency_limit=lanes, concurrency_id="answer")
        remove.click(remove_doc, [victim], [table, built, victim, doc_status], concurrency_limit=lanes, concurrency_id="answer")
        demo.load(refresh, None, [table, built, victim])
    return demo


def _rebuild_message(service, added, problems, removed=None) -> str:
    try:
        report = service.rebuild()
    except RagError as exc:
        raise gr.Error(f"索引更新失败，原索引保持不变：{exc}") from exc
    parts = [f"已添加：{'、'.join(added)}" if added else "", f"已删除：{removed}" if removed else "",
             f"索引已更新：{report.files} 个文件，{report.chunks} 个段落，新嵌入 {report.embedded} 个，用时 {report.seconds:.1f} 秒"]
    parts += [f"跳过 {Path(p).name}：{r}" for p, r in report.skipped] + problems
    return "  \n".join(p for p in parts if p)


def launch(settings, **kwargs):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    service = ChatService(settings)
    if not service.index_ready():
        print(f"索引不存在或与当前设置不符，正在建立 / building the index in {settings.index_dir} …", flush=True)
        print(service.rebuild().summary(), flush=True)
    service.pipeline()  # load the models before the first user waits on them
    demo = build_app(settings, service)
    demo.queue(default_concurrency_limit=1)
    auth = os.environ.get("RAG_AUTH")  # "user:password" for anyone who exposes the app beyond loopback
    demo.launch(server_name=settings.host, server_port=settings.port, css=CSS, head=HEAD_JS,
                auth=tuple(auth.split(":", 1)) if auth and ":" in auth else None, footer_links=[], **kwargs)
    return demo
