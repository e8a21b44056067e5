"""The 政策体检 tab: pick what a project may concern, answer one question at a time, see every programme.

The widgets are generic (a choice, 是/否, an amount); what they ask comes from `assistant.checkup`, which
reads the rules, so a programme added to the rules needs no change here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import gradio as gr

from assistant import checkup as ck
from assistant.corrections import fact_choices
from assistant.summary import understood, yuan_text
from assistant.summary_pdf import FontMissing, summary_pdf
from eligibility.rules import RuleBook
from ui import views
from ui.chat import click_js, write_download

INTRO = ("**政策体检**：先选这个项目可能涉及的奖励，再逐一回答几个问题（答不上来可以跳过），"
         "最后列出每一项的状态、最高金额、还缺什么、找哪个部门，以及按“从高不重复”的合计。")


def build_checkup_tab(book: RuleBook, today: Callable[[], dt.date]):
    state = gr.State(None)
    back = gr.State([])
    gr.Markdown(INTRO)
    with gr.Column(elem_id="ck-start") as start_box:
        applicant = gr.Radio(fact_choices("applicant_kind"), value="enterprise", label="申请主体", elem_id="ck-applicant")
        name = gr.Textbox(label="项目名称（可不填）", placeholder="如：陪伴机器人", max_length=40, elem_id="ck-name")
        picked = gr.CheckboxGroup(ck.program_choices(book, "enterprise"), label="这个项目可能涉及哪些奖励？（可多选）",
                                  elem_id="ck-programs")
        begin = gr.Button("开始体检", variant="primary", elem_id="ck-begin")
    with gr.Column(visible=False, elem_id="ck-ask") as ask_box:
        prompt = gr.Markdown(elem_id="ck-question")
        choice = gr.Radio([], label="请选择", elem_id="ck-choice")
        typed = gr.Textbox(label="请填写", elem_id="ck-text")
        with gr.Row():
            next_button = gr.Button("下一题", variant="primary", elem_id="ck-next")
            skip = gr.Button("不清楚，跳过", elem_id="ck-skip")
            undo = gr.Button("上一题", elem_id="ck-back")
    with gr.Column(visible=False, elem_id="ck-result") as result_box:
        cards = gr.HTML(elem_id="ck-cards")
        with gr.Accordion("如果数字变了：试算", open=True, elem_id="ck-whatif-box"):
            lever = gr.Dropdown([], label="调整哪个数字", elem_id="ck-lever")
            lever_note = gr.Markdown(elem_id="ck-lever-note")
            lever_value = gr.Textbox(label="改成（元，如 3000万）", elem_id="ck-whatif-value")
            try_button = gr.Button("试算", elem_id="ck-whatif")
            what_if_out = gr.Markdown(elem_id="ck-whatif-result")
        with gr.Row():
            more = gr.Button("再加一个项目", elem_id="ck-add-project")
            pdf_button = gr.Button("下载体检报告（PDF）", variant="primary", elem_id="ck-pdf")
            restart = gr.Button("重新开始", elem_id="ck-restart")
        pdf_file = gr.DownloadButton("PDF", visible="hidden", elem_id="ck-pdf-file")

    views_out = [state, back, start_box, ask_box, result_box, prompt, choice, typed, cards, lever, what_if_out]

    def show(checkup: ck.Checkup | None, history: list) -> dict:
        """The next question, or the result when none is left."""
        if checkup is None:
            return {state: None, back: [], start_box: gr.update(visible=True), ask_box: gr.update(visible=False),
                    result_box: gr.update(visible=False), prompt: "", choice: gr.update(), typed: gr.update(),
                    cards: "", lever: gr.update(choices=[], value=None), what_if_out: ""}
        pending = ck.questions(book, checkup)
        base = {state: checkup, back: history, start_box: gr.update(visible=False)}
        if pending:
            q = pending[0]
            where = f"（{q.project_label}）" if q.project_label else ""
            left = "目前是最后一题" if len(pending) == 1 else f"还有约 {len(pending) - 1} 题"
            text = (f"**第 {len(history) + 1} 题**，{left}{where}\n\n### {q.text}\n\n"
                    f"<small>用于：{'、'.join(q.programs)}</small>")
            boxed = q.kind in {"choice", "bool"}
            options = q.choices or [("是", "是"), ("否", "否")]
            hint = "如 500万 或 5000000；没有填 0" if q.kind == "amount" else ("如 2026-03-01" if q.kind == "date" else "")
            return {**base, ask_box: gr.update(visible=True), result_box: gr.update(visible=False), prompt: text,
                    choice: gr.update(choices=options, value=None, visible=boxed, label=q.label),
                    typed: gr.update(value="", visible=not boxed, label=q.label, placeholder=hint),
                    cards: gr.update(), lever: gr.update(), what_if_out: gr.update()}
        assessment = ck.result(book, checkup)
        levers = ck.levers(book, checkup, assessment)
        return {**base, ask_box: gr.update(visible=False), result_box: gr.update(visible=True), prompt: "",
                choice: gr.update(), typed: gr.update(),
                cards: views.estimates_html(assessment.estimates, assessment.total_ceiling_yuan, book,
                                            empty="所选的奖励都还缺少情况，暂无测算。"),
                lever: gr.update(choices=[(lv.label, lv.key) for lv in levers], value=None), what_if_out: ""}

    def on_begin(checkup, history, kind, project_name, program_ids):
        if not program_ids:
            gr.Warning("请至少选一项可能涉及的奖励。")
            return {start_box: gr.update()}
        checkup = checkup or ck.start(kind, today())
        return show(ck.add_project(book, checkup, project_name, program_ids), history)

    def on_answer(checkup, history, chosen, written):
        pending = ck.questions(book, checkup) if checkup is not None else []
        if not pending:  # a second click after the last answer
            return show(checkup, history)
        q = pending[0]
        raw = chosen if q.kind in {"choice", "bool"} else written
        if raw in (None, ""):
            gr.Warning("请作答，或点“不清楚，跳过”。")
            return {state: checkup}
        try:
            answered = ck.answer(checkup, q.key, raw)
        except ValueError as exc:
            gr.Warning(str(exc))
            return {state: checkup}
        return show(answered, [*history, checkup])

    def on_skip(checkup, history):
        pending = ck.questions(book, checkup) if checkup is not None else []
        if not pending:
            return show(checkup, history)
        return show(ck.answer(checkup, pending[0].key, None), [*history, checkup])

    def on_back(checkup, history):
        return show(history[-1], history[:-1]) if history else show(checkup, history)

    def on_more(checkup):
        return {start_box: gr.update(visible=True), result_box: gr.update(visible=False),
                applicant: gr.update(interactive=False), name: "", picked: gr.update(value=[])}

    def on_restart():
        return {**show(None, []), applicant: gr.update(interactive=True), name: "", picked: gr.update(value=[])}

    def on_lever(checkup, key):
        found = next((lv for lv in ck.levers(book, checkup, ck.result(book, checkup)) if lv.key == key), None) \
            if checkup and key else None
        if found is None:
            return "", ""
        now = "未填" if found.current is None else yuan_text(found.current)
        return f"现在：{now}。{found.note}。", ""

    def on_try(checkup, key, raw):
        if checkup is None or not key:
            return "请先选择要调整的数字。"
        try:
            before, after = ck.what_if(book, checkup, key, raw)
        except ValueError as exc:
            return f"无法试算：{exc}"
        lines = []
        for old, new in zip(before.estimates, after.estimates, strict=False):
            if (old.program_id, old.project) == (new.program_id, new.project) and old.ceiling_yuan != new.ceiling_yuan:
                who = f"{new.project}·" if new.project else ""
                lines.append(f"- {who}{new.title}：{_figure(old.ceiling_yuan)} → **{_figure(new.ceiling_yuan)}**")
        lines.append(f"- 合计：{_figure(before.total_ceiling_yuan)} → **{_figure(after.total_ceiling_yuan)}**")
        return "\n".join(lines)

    def on_pdf(checkup):
        if checkup is None:
            return gr.update()
        assessment = ck.result(book, checkup)
        try:
            data = summary_pdf(understood(checkup.facts), assessment.estimates, assessment.total_ceiling_yuan,
                               assessment.on_date, "政策体检报告")
        except FontMissing as exc:
            gr.Warning(str(exc))
            return gr.update()
        return write_download(data, f"长沙AI政策体检报告-{assessment.on_date}.pdf")

    applicant.change(lambda kind: gr.update(choices=ck.program_choices(book, kind), value=[]), applicant, picked)
    begin.click(on_begin, [state, back, applicant, name, picked], views_out)
    next_button.click(on_answer, [state, back, choice, typed], views_out)
    typed.submit(on_answer, [state, back, choice, typed], views_out)
    skip.click(on_skip, [state, back], views_out)
    undo.click(on_back, [state, back], views_out)
    more.click(on_more, state, [start_box, result_box, applicant, name, picked])
    restart.click(on_restart, None, [*views_out, applicant, name, picked])
    lever.change(on_lever, [state, lever], [lever_note, what_if_out])
    try_button.click(on_try, [state, lever, lever_value], what_if_out)
    pdf_button.click(on_pdf, state, pdf_file).then(None, None, None, js=click_js("ck-pdf-file"))


def _figure(value: int | None) -> str:
    return "暂不能计算" if value is None else yuan_text(value)
