"""我们了解到的情况: each understood fact with the person's words, grouped by project, correctable in place.

"修改" opens an editor suited to the fact's type (a choice, 是/否, an amount); "不对" makes the fact unknown
again so the assistant asks for it. Both go through `assistant.corrections.correct_fact` and re-estimate.
"""

from __future__ import annotations

from functools import partial

import gradio as gr

from assistant.corrections import correct_fact, fact_choices, fact_kind, fact_label, get_fact
from assistant.sessions import SessionNotFound
from assistant.summary import shown_value, understood
from ui import views

YES_NO = [("是", "是"), ("否", "否")]


def state_of(facts: dict | None, sources: list | None) -> dict:
    """What the panel renders from: the session's facts and, when the reply had them, their sources."""
    return {"facts": facts or {}, "sources": list(sources or [])}


def _editor_value(kind: str, value) -> str:
    if kind == "bool":
        return "是" if value else "否"
    if kind == "amount":
        return str(value)
    return value if isinstance(value, str) else str(value)


def build_facts_panel(assistant, session_id: gr.State, known: gr.State, estimates: gr.HTML) -> gr.Markdown:
    """The panel (re-rendered whenever `known` changes) and the note under it, which it returns."""
    book = assistant.rulebook

    def fix(name: str, project: int | None, sid, raw, state):
        if not sid:
            return gr.update(), gr.update(), "请先提一个问题，开始一次会话。"
        try:
            facts, assessment = correct_fact(assistant, sid, name, project, raw)
        except (SessionNotFound, ValueError, KeyError) as exc:
            return gr.update(), gr.update(), f"无法更正：{exc}"
        facts_json = facts.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        html = views.estimates_html(assessment.estimates, assessment.total_ceiling_yuan, book)
        what = f"{fact_label(name)} 改为 {shown_value(get_fact(facts, name, project))}" if raw not in (None, "") \
            else f"已撤下“{fact_label(name)}”，助手会再问您"
        return state_of(facts_json, state.get("sources")), html, f"{what}，已重新测算。"

    note = gr.Markdown(elem_id="correction-note")

    @gr.render(inputs=[known])
    def panel(state):
        groups = understood(state.get("facts") or {}, state.get("sources"))
        if not groups:
            gr.Markdown("_还没有了解到您的情况：在对话里说说您的企业和项目。_", elem_id="facts-empty")
            return
        for group in groups:
            gr.Markdown(f"**{group.title}**")
            for item in group.items:
                project = "a" if item.project is None else item.project
                with gr.Group(elem_id=views.dom_id("fact", project, item.fact), elem_classes="fact-row"):
                    gr.HTML(views.fact_line(item))
                    with gr.Row(elem_classes="fact-buttons"):
                        edit = gr.Button("修改", size="sm", elem_classes="fact-edit")
                        wrong = gr.Button("不对", size="sm", elem_classes="fact-wrong")
                    with gr.Column(visible=False) as editor:
                        kind = fact_kind(item.fact)
                        label = f"{item.label}改为"
                        if kind in {"choice", "bool"}:
                            value = gr.Radio(fact_choices(item.fact) or YES_NO, label=label,
                                             value=_editor_value(kind, item.value), elem_classes="fact-input", interactive=True)
                        else:
                            hint = "如 650万 或 6500000；留空表示不清楚" if kind == "amount" else "留空表示不清楚"
                            value = gr.Textbox(value=_editor_value(kind, item.value), label=label, placeholder=hint,
                                               elem_classes="fact-input", interactive=True)
                        save = gr.Button("保存并重新测算", size="sm", variant="primary", elem_classes="fact-save")
                edit.click(lambda: gr.update(visible=True), None, editor)
                save.click(partial(fix, item.fact, item.project), [session_id, value, known], [known, estimates, note])
                wrong.click(lambda sid, state, f=item.fact, p=item.project: fix(f, p, sid, None, state),
                            [session_id, known], [known, estimates, note])

    return note

