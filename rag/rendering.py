"""Rendering: Answers and passages as small HTML fragments for the chat window.

Citations become links to the source cards (`#src-n`); figures of the answer are highlighted
in the passages they come from. All document text is HTML-escaped before markup is added.
"""

from __future__ import annotations

import html
import re

from .citing import numbers

META_CLASS = "rag-meta"


def _highlight(text: str, figures: list[str]) -> str:
    out = html.escape(text)
    for fig in sorted(set(figures), key=len, reverse=True):
        out = re.sub(rf"(?<![\d.]){re.escape(html.escape(fig))}(?!\d|\.\d)", lambda m: f"<mark>{m.group(0)}</mark>", out)
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
        meta.append(f"检索 {t['retrieve_ms'] / 1000:.2f} s · 首字 {t['first_token_ms'] / 1000:.1f} s · 总计 {t['total_ms'] / 1000:.1f} s")
    if meta:
        lines.append(f'<div class="{META_CLASS}">' + "<br>".join(meta) + "</div>")
    return "\n".join(lines)


def plain_text(message: str) -> str:
    """The answer without markup or the meta block: what goes back into the history."""
    message = re.sub(rf'<div class="{META_CLASS}">.*?</div>', "", message, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", message)).strip()


def _card(n, title, section, start, end, text, figures, label="") -> str:
    where = f"第 {start}–{end} 行" if start != end else f"第 {start} 行"
    return (f'<div class="src-card" id="src-{n}"><div class="src-head">[{n}] {html.escape(title)}{label}</div>'
            f'<div class="src-where">{html.escape(section or "—")} · {where}</div>'
            f'<div class="src-text">{_highlight(text, figures)}</div></div>')


def sources_html(answer) -> str:
    figures = numbers(re.sub(r"\[\d+\]", "", answer.text))
    by_n = {p["n"]: p for p in answer.passages}
    if answer.refused or not answer.citations:
        cards = [_card(p["n"], p["title"], p["section"], p["start_line"], p["end_line"], p["full_text"], [], " · 参考")
                 for p in answer.passages]
        head = "<h4>最接近的段落（未用于回答）</h4>" if cards else "<h4>没有找到相关段落</h4>"
        return head + "".join(cards)
    cards = [_card(c["n"], c["title"], c["section"], c["start_line"], c["end_line"], by_n[c["n"]]["full_text"], figures)
             for c in answer.citations]
    return "<h4>引用的资料</h4>" + "".join(cards)


def passages_html(passages) -> str:
    cards = [_card(p.n, p.title, p.section, p.start_line, p.end_line, p.text, []) for p in passages]
    return "<h4>检索到的段落</h4>" + "".join(cards)


CSS = """
.rag-meta {font-size: 0.8em; color: #6b7280; margin-top: 6px;}
a.cite {text-decoration: none; font-weight: 600; color: #2563eb; cursor: pointer;}
.src-card {border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px 10px; margin: 8px 0; font-size: 0.9em;}
.src-card.active, .src-card:target {border-color: #2563eb; box-shadow: 0 0 0 2px #bfdbfe;}
.src-head {font-weight: 600;}
.src-where {color: #6b7280; font-size: 0.85em; margin-bottom: 4px;}
.src-text mark {background: #fde68a;}
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
