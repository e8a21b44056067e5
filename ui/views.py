"""What the UI shows, as HTML strings: estimate cards, the total in words, citations, and the welcome.

Cards rather than a table: on a 390 px phone each card is one column and the amount is never off-screen.
Every text is escaped here; figures and words come from `assistant.summary` (and so from the engine).
"""

from __future__ import annotations

from html import escape
from typing import Any

from assistant.summary import STATUS_ZH, FactItem, as_dict, ceiling_text, estimate_steps, set_aside_note, total_sentence
from eligibility.engine import article_name
from eligibility.rules import RuleBook

NOTICE = ("**提示**：页面上的金额是依据政策原文估算的**上限**，最终金额由各责任单位审核认定；"
          "政策未规定的申报材料、时间和渠道，以责任单位后续发布的实施细则或申报指南为准。")
WELCOME = """### 您好，我是长沙AI政策助手
我只回答《长沙市加快人工智能产业高质量发展若干政策》（长政办发〔2025〕16号）的问题：

- **能做**：查政策原文、判断您的项目可能适用哪些奖励、按原文测算**最高**可获金额并说明每一步的依据；
- **不能做**：承诺最终金额（以责任单位审核为准），也不知道政策没写的申报材料、时间和渠道（以责任单位发布的申报指南为准）。

直接说说您的情况，例如“我们做智能机器人，今年新品销售增量800万元”；也可以点下方的示例，或到“政策体检”一步步回答。"""
CSS = """
.gradio-container {max-width: min(1200px, 100vw) !important; margin: auto;}
.toast-wrap {max-width: 100vw;}
#chat-history {min-width: 0;}
#input-hint {font-size: 12px; color: var(--body-text-color-subdued); margin-top: -6px;}
.est-cards {display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 260px), 1fr)); gap: 10px;}
.est-card {border: 1px solid var(--border-color-primary); border-left: 5px solid #9ca3af; border-radius: 8px;
  padding: 10px 12px; min-width: 0; overflow-wrap: anywhere; background: var(--background-fill-primary);}
.est-card.eligible {border-left-color: #16a34a;} .est-card.needs_info {border-left-color: #d97706;}
.est-card.not_eligible {border-left-color: #9ca3af; opacity: .85;}
.est-head {display: flex; flex-wrap: wrap; gap: 6px; align-items: baseline; justify-content: space-between;}
.est-title {font-weight: 600;}
.badge {font-size: 12px; padding: 1px 8px; border-radius: 999px; background: #eef2ff; white-space: nowrap;}
.eligible .badge {background: #dcfce7;} .needs_info .badge {background: #fef3c7;} .not_eligible .badge {background: #f3f4f6;}
.est-meta {font-size: 12px; color: var(--body-text-color-subdued); margin: 2px 0 6px;}
.amount {font-size: 20px; font-weight: 700; margin: 4px 0; display: block; max-width: 100%;}
.est-note, .est-missing {font-size: 13px; margin: 4px 0;}
.est-card details {font-size: 13px; margin-top: 4px;} .est-card ol {padding-left: 20px; margin: 4px 0;}
.est-card blockquote, .cite blockquote {margin: 4px 0; padding-left: 8px; border-left: 3px solid #ddd; color: #444;}
.total-words {font-size: 15px; padding: 8px 10px; border-radius: 8px; background: #f0f9ff; margin-bottom: 8px;}
.fact-line {font-size: 14px; overflow-wrap: anywhere;} .fact-quote {font-size: 13px; color: #4b5563; overflow-wrap: anywhere;}
.fact-buttons {gap: 6px !important;} .fact-buttons button {min-width: 0 !important; flex: 0 1 auto !important;}
button.fact-edit, button.fact-wrong {border: 1px solid #9ca3af !important; background: #fff !important; padding: 2px 12px !important;}
#chat-pdf-file, #ck-pdf-file {display: none !important;}
#fb-panel {border: 1px solid #fca5a5; border-radius: 8px; padding: 6px;}
@media (max-width: 480px) { .gradio-container {padding: 4px !important;} .amount {font-size: 18px;} }
"""


def estimate_card(estimate: Any, book: RuleBook | None = None) -> str:
    """One programme: title, article, project and unit, status, the amount, what is missing, steps, quote."""
    e = dict(as_dict(estimate))
    program = _program(book, e.get("program_id"))
    if program is not None:
        e.setdefault("quote", program.quote)
        e["responsible_unit"] = e.get("responsible_unit") or program.responsible_unit
    meta = " · ".join(x for x in (article_name(e["article"]), e.get("project") or "", e.get("responsible_unit") or "") if x)
    parts = [f'<div class="est-card {e["status"]}" data-program="{escape(e["program_id"])}">',
             '<div class="est-head">', f'<span class="est-title">{escape(e["title"])}</span>',
             f'<span class="badge">{STATUS_ZH[e["status"]]}</span></div>',
             f'<div class="est-meta">{escape(meta)}</div>',
             f'<span class="amount">{escape(ceiling_text(e))}</span>']
    note = set_aside_note(e)
    if note:
        parts.append(f'<div class="est-note">注：{escape(note)}</div>')
    if e.get("missing"):
        parts.append(f'<div class="est-missing">还需确认：{escape("；".join(e["missing"]))}</div>')
    steps = estimate_steps(e)
    if steps:
        items = "".join(f"<li>{escape(s)}</li>" for s in steps)
        parts.append(f"<details><summary>计算过程（{len(steps)} 步）</summary><ol>{items}</ol></details>")
    if e.get("quote"):
        parts.append(f"<details><summary>政策原文</summary><blockquote>{escape(e['quote'])}</blockquote></details>")
    parts.append("</div>")
    return "".join(parts)


def _program(book: RuleBook | None, program_id: str | None):
    if book is None or not program_id:
        return None
    return next((p for p in book.programs if p.id == program_id), None)


def estimates_html(estimates: list[Any], total_yuan: int | None, book: RuleBook | None = None,
                   empty: str = "还没有测算：说说您的项目情况，这里会列出可能适用的奖励和最高金额。") -> str:
    """The total in words first, then one card per programme."""
    if not estimates:
        return f'<div class="est-empty">{escape(empty)}</div>'
    sentence = total_sentence(estimates, total_yuan)
    cards = "".join(estimate_card(e, book) for e in estimates)
    return f'<div class="total-words" id="total-words">{escape(sentence)}</div><div class="est-cards">{cards}</div>'


def citations_html(citations: list[Any]) -> str:
    """The quotes an answer rests on, folded under it (open one to read the policy's words)."""
    if not citations:
        return ""
    items = []
    for c in citations:
        c = as_dict(c)
        items.append(f'<div class="cite"><b>{escape(article_name(c["article"]))} {escape(c["title"])}</b>'
                     f"<blockquote>{escape(c['quote'])}</blockquote></div>")
    return f"\n\n<details class=\"citations\"><summary>引用条款（{len(citations)}）</summary>{''.join(items)}</details>"


def fact_line(item: FactItem) -> str:
    """One understood fact and the words it came from."""
    html = f'<div class="fact-line">{escape(item.label)}：<b>{escape(item.shown)}</b></div>'
    if item.quote:
        derived = f"（{escape(item.derivation)}）" if item.derivation else ""
        html += f'<div class="fact-quote">您说：“{escape(item.quote)}”{derived}</div>'
    elif item.corrected:
        html += '<div class="fact-quote">已由您在页面上更正</div>'
    return html


def dom_id(*parts: Any) -> str:
    """An element id from a project and a fact name (awards_received.x.y has dots)."""
    return "-".join(str(p) for p in parts).replace(".", "_")
