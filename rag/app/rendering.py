"""Rendering: Answers and passages as small HTML fragments for the chat window.

Citations become links to the source cards (`#src-n`); figures of the answer are highlighted
in the passages they come from. Under each answer a collapsed "检索详情" block shows what the
answer rests on (explaining.explain). All document text is HTML-escaped before markup is added.
The chat renders messages as Markdown, so every fragment is one line: a blank line would end
the HTML block.
"""

from __future__ import annotations

import html
import re

from rag.grounding.passages import pages_label
from rag.zh.specifiers import numbers
from rag.zh.patterns import without_markers

META_CLASS = "rag-meta"
DETAILS_CLASS = "rag-details"


def _highlight(text: str, figures: list[str]) -> str:
    out = html.escape(text)
    for fig in sorted(set(figures), key=len, reverse=True):
        out = re.sub(rf"(?<![\d.]){re.escape(html.escape(fig))}(?!\d|\.\d)",
                     lambda m: f"<mark>{m.group(0)}</mark>", out)
    return out


def answer_html(answer, show_timings: bool) -> str:
    text = html.escape(answer.text)
    text = re.sub(r"\[(\d{1,2})\]", r'<a class="cite" href="#src-\1" data-n="\1">[\1]</a>', text)
    lines = [text.replace("\n", "<br>")]
    meta = []
    if answer.standalone_question and answer.standalone_question != answer.question:
        meta.append(f"改写后的问题：{html.escape(answer.standalone_question)}")
    if answer.refused:
        meta.append("资料中未找到答案，右侧列出了最接近的段落供参考")
    for warning in answer.warnings:
        meta.append(f"⚠ {html.escape(warning)}")
    t = answer.timings
    if show_timings and t:
        meta.append(f"检索 {t['retrieve_ms'] / 1000:.2f} s · 首字 {t['first_token_ms'] / 1000:.1f} s"
                    f" · 总计 {t['total_ms'] / 1000:.1f} s")
    if meta:
        lines.append(f'<div class="{META_CLASS}">' + "<br>".join(meta) + "</div>")
    if answer.retrieval:
        lines.append(retrieval_html(answer.retrieval))
    return "\n".join(lines)


def plain_text(message: str) -> str:
    """The answer without markup or the meta block: what goes back into the history."""
    message = re.sub(rf'<details class="{DETAILS_CLASS}">.*?</details>', "", message, flags=re.S)
    message = re.sub(rf'<div class="{META_CLASS}">.*?</div>', "", message, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", message)).strip()


def _lines(start, end) -> str:
    return f"第 {start}–{end} 行" if start != end else f"第 {start} 行"


def _where(item: dict, fallback: dict | None = None) -> str:
    """第N页 for paged sources (PDF, scans), the line span otherwise."""
    get = lambda k: item.get(k) if item.get(k) is not None else (fallback or {}).get(k)
    return pages_label(get("page_start"), get("page_end")) or _lines(get("start_line"), get("end_line"))


def paged_citations(answer) -> list[dict]:
    """Citations with their pages (from the cited passage when the citation lacks them) and a
    `where` for people: section · 第N页 for PDFs and scans, section · 第 a–b 行 for text."""
    by_n = {p["n"]: p for p in answer.passages}
    out = []
    for c in answer.citations:
        p = by_n.get(c["n"], {})
        pages = {k: c.get(k) if c.get(k) is not None else p.get(k) for k in ("page_start", "page_end")}
        full = {**c, **pages}
        out.append({**full, "where": f"{c.get('section') or '—'} · {_where(full, p)}"})
    return out


def _card(n, title, section, where, text, figures, label="", link="") -> str:
    return (f'<div class="src-card" id="src-{n}">'
            f'<div class="src-head">[{n}] {html.escape(title)}{label}</div>'
            f'<div class="src-where">{html.escape(section or "—")} · {where}{link}</div>'
            f'<div class="src-text">{_highlight(text, figures)}</div></div>')


def sources_html(answer, page_link=None) -> str:
    """`page_link(item, quote)` → HTML of a link that opens the cited page (rag/pageview.py), or ""."""
    figures = numbers(without_markers(answer.text))
    by_n = {p["n"]: p for p in answer.passages}
    link = page_link or (lambda item, quote: "")
    if answer.refused or not answer.citations:
        cards = [_card(p["n"], p["title"], p["section"], _where(p), p["full_text"], [], " · 参考",
                       link(p, ""))
                 for p in answer.passages]
        head = ("<h4>最接近的段落（未用于回答）</h4>" if cards
                else "<h4>没有找到相关段落</h4>")
        return head + "".join(cards)
    cards = [_card(c["n"], c["title"], c["section"], _where(c, by_n[c["n"]]), by_n[c["n"]]["full_text"],
                   figures, "",
                   link({**by_n[c["n"]], **{k: v for k, v in c.items() if v is not None}},
                        c.get("quote", "")))
             for c in answer.citations]
    note = (answer.retrieval or {}).get("note")
    return ("<h4>引用的资料</h4>" + (f'<p class="rd-note">⚠ {html.escape(note)}</p>' if note else "")
            + "".join(cards))


def passages_html(passages) -> str:
    cards = [_card(p.n, p.title, p.section, _where(p.to_dict()), p.text, []) for p in passages]
    return "<h4>检索到的段落</h4>" + "".join(cards)


def _terms_marked(text: str, terms: list[str]) -> str:
    out = html.escape(text)
    alternatives = "|".join(re.escape(html.escape(t)) for t in sorted(terms, key=len, reverse=True))
    return re.sub(f"(?i)({alternatives})", r'<mark class="term">\1</mark>', out) if terms else out


_FOUND_BY = {("bm25", "dense"): "关键词+语义", ("dense",): "语义", ("bm25",): "关键词"}


def _hit_row(e: dict) -> str:
    label = f"[{e['n']}]" if e["seen"] else "未提供"
    role = "已被引用" if e["cited"] else "模型看到" if e["seen"] else "未提供给模型"
    where = _where(e)
    # A rank is missing when the passage was not among that retriever's candidates (settings.candidates).
    dense = (f"语义相似度 {e['dense_score']:.2f}"
             + (f"（第 {e['dense_rank']} 名）" if e["dense_rank"] else "（未进候选）"))
    bm25 = f"BM25 第 {e['bm25_rank']} 名" if e["bm25_rank"] else "BM25 未进候选"
    why = _FOUND_BY.get(tuple(sorted(e["found_by"])), "—")
    terms = "、".join(html.escape(t) for t in e["terms"]) or "无"
    kind = "rd-hit" + (" cited" if e["cited"] else "") + ("" if e["seen"] else " unseen")
    return (f'<div class="{kind}"><div class="rd-head">{label} 《{html.escape(e["title"])}》'
            f'{html.escape(e["section"] or "—")}'
            f' · {where} · <b>{role}</b></div>'
            f'<div class="rd-scores">{dense} · {bm25} · 检索依据：{why} · 命中词：{terms}</div>'
            f'<div class="rd-text">{_terms_marked(e["text"], e["terms"])}</div></div>')


def _citation_line(c: dict, by_n: dict) -> str:
    e = by_n.get(c["n"], {})
    return (f"[{c['n']}] → 《{html.escape(e.get('title', ''))}》"
            f"{html.escape(e.get('section') or '')} {_where(c, e)}")


def retrieval_html(r: dict) -> str:
    """The collapsed "检索详情" block: reason or caution, question words, citations, then each passage."""
    hits = r.get("passages", [])
    seen = sum(1 for e in hits if e["seen"])
    flag = (" · ⚠ 引用的段落与问题不符" if r.get("note")
            else " · 未回答的原因见内" if r.get("reason") else "")
    head = [(f'<div class="rd-reason">未回答的原因：{html.escape(r["reason"])}</div>'
             if r.get("reason") else ""),
            f'<div class="rd-note">⚠ {html.escape(r["note"])}</div>' if r.get("note") else "",
            f'<div class="rd-line">问题中的词：'
            f'{"、".join(html.escape(t) for t in r.get("terms", [])) or "—"}</div>']
    by_n = {e["n"]: e for e in hits if e["seen"]}
    if r.get("citations"):
        head.append('<div class="rd-line">引用指向：'
                    + "；".join(_citation_line(c, by_n) for c in r["citations"]) + "</div>")
    return (f'<details class="{DETAILS_CLASS}">'
            f'<summary>检索详情（模型看到 {seen} 段，'
            f'另列 {len(hits) - seen} 段未提供）{flag}</summary>'
            + "".join(head) + "".join(_hit_row(e) for e in hits) + "</details>")


CSS = """
.rag-meta {font-size: 0.8em; color: #6b7280; margin-top: 6px;}
a.cite {text-decoration: none; font-weight: 600; color: #2563eb; cursor: pointer;}
.src-card {border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px 10px; margin: 8px 0; font-size: 0.9em;}
.src-card.active, .src-card:target {border-color: #2563eb; box-shadow: 0 0 0 2px #bfdbfe;}
.src-head {font-weight: 600;}
.src-where {color: #6b7280; font-size: 0.85em; margin-bottom: 4px;}
.src-text mark {background: #fde68a;}
details.rag-details {margin-top: 8px; font-size: 0.85em; border-top: 1px dashed #d1d5db; padding-top: 4px;}
details.rag-details summary {cursor: pointer; color: #374151;}
.rd-reason, .rd-note {color: #b45309; font-weight: 600; margin: 4px 0;}
.rd-line {color: #4b5563; margin: 2px 0;}
.rd-hit {border-left: 3px solid #d1d5db; padding: 2px 8px; margin: 6px 0;}
.rd-hit.cited {border-left-color: #2563eb;}
.rd-hit.unseen {opacity: 0.75;}
.rd-scores {color: #6b7280;}
.rd-text mark.term {background: #dbeafe;}
@media (max-width: 640px) {
  #chat-row {flex-direction: column;}
  #chat-row > div {min-width: 100% !important;}
  #sources {max-height: none;}
  .src-card, details.rag-details {font-size: 0.95em; overflow-wrap: anywhere;}
  #actions button {min-width: 0; flex: 1 1 30%;}
}
"""

# Citation links scroll to and light up their card in the sources panel, whatever page the
# chat markdown renderer puts them in.
HEAD_JS = """
<script>
document.addEventListener('click', function (e) {
  const a = e.target.closest('a.cite');
  if (!a) return;
  e.preventDefault();
  const id = (a.getAttribute('href') || '').replace('#', '');
  document.querySelectorAll('.src-card.active').forEach(c => c.classList.remove('active'));
  const card = document.getElementById(id);
  if (card) { card.classList.add('active'); card.scrollIntoView({behavior: 'smooth', block: 'center'}); }
}, true);
</script>
"""
