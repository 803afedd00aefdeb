"""The 文档 tab: a collection's documents (upload, delete, re-scan) and a document's chunks as indexed.

The tab works on the collection chosen in its own selector, which follows the first collection
chosen above the chat. The chunk view shows what a document was cut into (section, lines or
pages, characters, text), so a user can see why a passage was or was not found.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from rag.app.service import ChatService
from rag.errors import RagError
from rag.ingest.loading import SUPPORTED

def panel(ui: SimpleNamespace, names: list[str], own: str) -> None:
    ui.kb_docs = gr.Dropdown(names, value=own, label="知识库", elem_id="docs-kb")
    ui.table = gr.Dataframe(headers=["文件", "标题", "段落数", "SHA-256"], interactive=False,
                            elem_id="doc-table")
    ui.built = gr.Markdown(elem_id="built-at")
    ui.upload = gr.File(label="上传文档（.txt .md .html .docx .pdf，扫描件 .png .jpg）",
                        file_count="multiple", file_types=sorted(SUPPORTED), elem_id="upload")
    with gr.Row():
        ui.add = gr.Button("添加并更新索引", variant="primary", elem_id="add-docs")
        ui.reindex = gr.Button("重新扫描文档文件夹并更新索引", elem_id="reindex")
    with gr.Row():
        ui.victim = gr.Dropdown(label="选择文档", choices=[], elem_id="remove-choice")
        ui.show_chunks = gr.Button("查看分段", elem_id="show-chunks")
        ui.remove = gr.Button("删除并更新索引", elem_id="remove-doc")
    ui.doc_status = gr.Markdown(elem_id="doc-status")
    ui.chunks = gr.Dataframe(headers=["#", "章节", "位置", "字数", "文本"], interactive=False, wrap=True,
                             elem_id="chunk-table", label="分段（建立索引时切分的段落）")


def wire(ui: SimpleNamespace, service: ChatService, lanes: int, demo: gr.Blocks, own: str) -> None:
    def kb(name):  # the service's own collection needs no name
        return "" if not name or name == own else name

    def refresh(name):
        rows = service.documents(kb(name))
        return rows, f"上次建立索引：{service.built_at(kb(name))}", gr.update(choices=[r[0] for r in rows],
                                                                            value=None)

    def add_docs(files, name, progress=gr.Progress(track_tqdm=True)):
        paths = [f if isinstance(f, str) else f.name for f in (files or [])]
        added, problems = service.add_files(paths, kb(name))
        message = (_rebuild_message(service, kb(name), added, problems) if added
                   else "；".join(problems) or "请先选择文件。")
        return (*refresh(name), message)

    def reindex(name, progress=gr.Progress(track_tqdm=True)):
        return refresh_after(name)

    def refresh_after(name, **said):
        message = _rebuild_message(service, kb(name), [], [], **said)
        return (*refresh(name), message)

    def remove_doc(doc_id, name, progress=gr.Progress(track_tqdm=True)):
        if not doc_id:
            gr.Warning("请先选择要删除的文档。")
            return gr.update(), gr.update(), gr.update(), gr.update()
        try:
            service.remove(doc_id, kb(name))
        except RagError as exc:
            raise gr.Error(str(exc)) from exc
        return refresh_after(name, removed=doc_id)  # the listing must show the new build

    def chunks(doc_id, name):
        if not doc_id:
            gr.Warning("请先选择文档。")
            return gr.update()
        try:
            return service.chunks(doc_id, kb(name))
        except RagError as exc:
            raise gr.Error(str(exc)) from exc

    shown = [ui.table, ui.built, ui.victim, ui.doc_status]
    answer = {"concurrency_limit": lanes, "concurrency_id": "answer"}
    ui.add.click(add_docs, [ui.upload, ui.kb_docs], shown, **answer)
    ui.reindex.click(reindex, [ui.kb_docs], shown, **answer)
    ui.remove.click(remove_doc, [ui.victim, ui.kb_docs], shown, **answer)
    ui.show_chunks.click(chunks, [ui.victim, ui.kb_docs], [ui.chunks])
    ui.kb_docs.change(refresh, [ui.kb_docs], [ui.table, ui.built, ui.victim])
    demo.load(refresh, [ui.kb_docs], [ui.table, ui.built, ui.victim])


def _rebuild_message(service, kb, added, problems, removed=None) -> str:
    try:
        report = service.rebuild(kb)
    except RagError as exc:
        raise gr.Error(f"索引更新失败，原索引保持不变：{exc}") from exc
    parts = [f"已添加：{'、'.join(added)}" if added else "", f"已删除：{removed}" if removed else "",
             f"索引已更新：{report.files} 个文件，{report.chunks} 个段落，"
             f"新嵌入 {report.embedded} 个，用时 {report.seconds:.1f} 秒"]
    parts += [f"跳过 {Path(p).name}：{r}" for p, r in report.skipped] + problems
    return "  \n".join(p for p in parts if p)
