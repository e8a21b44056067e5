"""The Gradio web UI, mounted on the API's FastAPI app at /ui (/ redirects there): one process, one port.

Three tabs: 政策咨询 (chat with streaming answers, citations, the estimate table, the facts understood and
a way to correct them), 奖励计算器 (a form over the facts one programme needs), 政策原文 (the whole policy).
The session id lives in the browser's localStorage, so a page reload keeps the conversation.
"""

from __future__ import annotations

from typing import get_args

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from assistant.sessions import SessionNotFound
from assistant.turn import Assistant, InputError
from eligibility.engine import article_name
from eligibility.facts import LABELS_ZH, Facts, ProjectFacts, field_info
from ui import views

UI_PATH = "/ui"
EXAMPLES = [
    "我们做智能可穿戴设备，今年新产品销售增量500万元，能拿多少奖励？",
    "我们基于网信办备案的大模型开发了医疗健康垂类大模型，已登记，年度模型购买费用100万元，能奖多少？",
    "国家级智能标注公共服务平台，年度运营费用250万元，一年能拿多少运营奖励？",
    "同时符合两条能都拿吗？",
    "申报需要准备哪些材料？",
]
CSS = """
.gradio-container {max-width: min(1200px, 100vw) !important; margin: auto;}
#estimates, #facts, #calc-table, .table-wrap {max-width: 100%; overflow-x: auto;}
.toast-wrap {max-width: 100vw;}
@media (max-width: 480px) { .gradio-container {padding: 4px !important;} }
"""


def _literal_values(model, name: str) -> tuple[str, ...]:
    """The allowed values of an optional Literal field: ApplicantKind | None → ('enterprise', …)."""
    literal = next(a for a in get_args(model.model_fields[name].annotation) if a is not type(None))
    return get_args(literal)


def _panels(assistant: Assistant, reply=None, facts: Facts | None = None):
    """(citations, estimate rows, total, fact rows) for a chat reply or for a session's facts."""
    if reply is not None:
        facts = Facts.model_validate(reply.facts)
        return (views.citations_markdown(reply.citations), views.estimate_rows(reply.estimates),
                views.total_markdown(reply.total_ceiling_yuan, reply.estimates), views.fact_rows(facts))
    facts = facts or Facts()
    assessment = assistant.estimate(facts)
    return ("", views.estimate_rows(assessment.estimates),
            views.total_markdown(assessment.total_ceiling_yuan, assessment.estimates), views.fact_rows(facts))


def build_ui(assistant: Assistant) -> gr.Blocks:
    programs = assistant.rulebook.programs
    correctable = views.correctable_facts()

    with gr.Blocks(title="长沙AI政策助手") as demo:
        session_id = gr.BrowserState(None, storage_key="changsha-policy-assistant-session")
        gr.Markdown("# 长沙AI政策助手\n《长沙市加快人工智能产业高质量发展若干政策》（长政办发〔2025〕16号）咨询与奖励测算")
        gr.Markdown(views.NOTICE)
        with gr.Tabs():
            with gr.Tab("政策咨询", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=300):
                        chatbot = gr.Chatbot(label="对话", height=460, buttons=["copy"], elem_id="chat-history")
                        question = gr.Textbox(label="您的问题", placeholder="例如：我们做陪伴机器人，今年新品销售增量800万元，能拿多少？",
                                              lines=2, max_length=2000, elem_id="question")
                        with gr.Row():
                            send = gr.Button("发送", variant="primary", elem_id="send")
                            new_session = gr.Button("新会话", elem_id="new-session")
                        gr.Examples(EXAMPLES, inputs=question, label="示例问题")
                    with gr.Column(scale=2, min_width=300):
                        gr.Markdown("### 引用条款")
                        citations = gr.Markdown(elem_id="citations")
                        estimates = gr.Dataframe(headers=views.ESTIMATE_HEADERS, label="测算结果", interactive=False,
                                                 wrap=True, elem_id="estimates")
                        total = gr.Markdown(elem_id="total")
                        facts_table = gr.Dataframe(headers=views.FACT_HEADERS, label="已理解的情况", interactive=False,
                                                   wrap=True, elem_id="facts")
                        with gr.Group():
                            fact_name = gr.Dropdown(choices=correctable, label="更正一项情况", value=correctable[0][1],
                                                    elem_id="fact-name")
                            fact_value = gr.Textbox(label="正确的值（金额如 500万；是/否；留空表示不清楚）", elem_id="fact-value")
                            fact_project = gr.Number(label="第几个项目", value=1, precision=0, minimum=1, elem_id="fact-project")
                            correct = gr.Button("更正并重新测算", elem_id="correct")
                        correction_note = gr.Markdown(elem_id="correction-note")
            with gr.Tab("奖励计算器", id="calculator"):
                program = gr.Dropdown(choices=[(f"{p.title}（{article_name(p.article)}）", p.id) for p in programs],
                                      value=programs[0].id, label="奖励项目", elem_id="calc-program")
                applicant = gr.Dropdown(choices=[(LABELS_ZH[k], k) for k in _literal_values(Facts, "applicant_kind")],
                                        value="enterprise", label=field_info("applicant_kind")[0], elem_id="calc-applicant")
                calc_inputs: dict[str, gr.components.Component] = {}
                for name in dict.fromkeys(n for p in programs for n in views.program_facts(p)):
                    label = field_info(name)[0]
                    annotation = str(ProjectFacts.model_fields[name].annotation)
                    if "bool" in annotation:
                        calc_inputs[name] = gr.Radio(["是", "否", "不确定"], value="不确定", label=label, elem_id=f"calc-{name}")
                    elif "int" in annotation:
                        calc_inputs[name] = gr.Textbox(label=label, placeholder="如 500万 或 5000000", elem_id=f"calc-{name}")
                    else:
                        calc_inputs[name] = gr.Dropdown(choices=[(LABELS_ZH[v], v) for v in _literal_values(ProjectFacts, name)],
                                                        label=label, value=None, elem_id=f"calc-{name}")
                received_year = gr.Textbox(label="今年已获本项奖励（元）", placeholder="没有填 0", elem_id="calc-received-year")
                received_total = gr.Textbox(label="累计已获本项奖励（元）", placeholder="没有填 0", elem_id="calc-received-total")
                calculate = gr.Button("计算", variant="primary", elem_id="calculate")
                calc_table = gr.Dataframe(headers=views.ESTIMATE_HEADERS, label="计算结果", interactive=False, wrap=True,
                                          elem_id="calc-table")
                calc_trace = gr.Markdown(elem_id="calc-trace")
            with gr.Tab("政策原文", id="policy"):
                doc = assistant.kb.documents.get("changsha-ai-2025")
                if doc:
                    gr.Markdown(f"**{doc.title}**　{doc.doc_number}　{doc.issuer}　{doc.issued_on}")
                    for section in doc.sections:
                        head = f"{article_name(section.section_id)} {section.title}"
                        with gr.Accordion(head, open=section.section_id == "1"):
                            units = f"\n\n责任单位：{'、'.join(section.responsible_units)}" if section.responsible_units else ""
                            gr.Markdown(section.text + units)

        panels = [citations, estimates, total, facts_table]

        def respond(message, history, sid):
            history = list(history or [])
            try:
                reply = assistant.chat(message, sid, channel="web")
            except SessionNotFound:
                reply = assistant.chat(message, None, channel="web")
            except InputError as exc:
                yield (history + [{"role": "assistant", "content": f"⚠️ {exc}"}], message, sid, *[gr.update()] * 4)
                return
            history += [{"role": "user", "content": message}, {"role": "assistant", "content": ""}]
            for line in (reply.answer_full or reply.answer).splitlines(keepends=True):
                history[-1]["content"] += line
                yield (history, "", reply.session_id, *[gr.update()] * 4)
            yield (history, "", reply.session_id, *_panels(assistant, reply))

        def restore(sid):
            if not sid:
                return [], None, *_panels(assistant)
            try:
                session = assistant.store.load(sid)
            except SessionNotFound:
                return [], None, *_panels(assistant)
            history = [{"role": t.role, "content": t.text} for t in session.turns]
            return history, sid, *_panels(assistant, facts=session.state.facts)

        def fresh():
            return [], None, *_panels(assistant), ""

        def apply_fix(sid, name, raw, project_number):
            if not sid:
                return *[gr.update()] * 4, "请先提一个问题，开始一次会话。"
            try:
                session = assistant.store.load(sid)
                facts = views.apply_correction(session.state.facts, name, raw, int(project_number or 1) - 1)
            except (SessionNotFound, ValueError) as exc:
                return *[gr.update()] * 4, f"⚠️ 无法更正：{exc}"
            assistant.correct_facts(sid, facts)
            return *_panels(assistant, facts=facts), f"已更正：{field_info(name)[0]} = {raw or '（不清楚）'}"

        def show_inputs(program_id):
            needed = set(views.program_facts(next(p for p in programs if p.id == program_id)))
            chosen = next(p for p in programs if p.id == program_id)
            capped = bool(chosen.annual_cap_yuan or chosen.cumulative_cap_yuan or chosen.frequency == "one_off")
            return ([gr.update(visible=name in needed) for name in calc_inputs]
                    + [gr.update(visible=capped), gr.update(visible=capped)])

        def run_calculator(program_id, applicant_kind, *values):
            *fact_values, year_raw, total_raw = values
            project: dict = {}
            needed = set(views.program_facts(next(p for p in programs if p.id == program_id)))
            try:
                for name, value in zip(calc_inputs, fact_values, strict=True):
                    if name in needed and value not in (None, "", "不确定"):
                        project[name] = views.parse_value(name, str(value))
                received = {key: views.parse_amount(raw) for key, raw in
                            (("this_year_yuan", year_raw), ("total_yuan", total_raw)) if raw}
                if received:
                    project["awards_received"] = {program_id: received}
                facts = Facts.model_validate({"applicant_kind": applicant_kind, "projects": [project]})
            except ValueError as exc:
                return [], f"⚠️ {exc}"
            assessment = assistant.estimate(facts, program_ids=[program_id])
            assessment.estimates = [e for e in assessment.estimates if e.program_id == program_id]
            return views.calculator_result(assessment)

        outputs = [chatbot, question, session_id, *panels]
        send.click(respond, [question, chatbot, session_id], outputs)
        question.submit(respond, [question, chatbot, session_id], outputs)
        new_session.click(fresh, None, [chatbot, session_id, *panels, correction_note])
        correct.click(apply_fix, [session_id, fact_name, fact_value, fact_project], [*panels, correction_note])
        program.change(show_inputs, program, [*calc_inputs.values(), received_year, received_total])
        calculate.click(run_calculator, [program, applicant, *calc_inputs.values(), received_year, received_total],
                        [calc_table, calc_trace])
        demo.load(restore, session_id, [chatbot, session_id, *panels])
        demo.load(show_inputs, program, [*calc_inputs.values(), received_year, received_total])
    return demo


def mount_ui(app: FastAPI, assistant: Assistant) -> None:
    @app.get("/", include_in_schema=False)
    def root():
        return RedirectResponse(UI_PATH + "/")

    gr.mount_gradio_app(app, build_ui(assistant), path=UI_PATH, css=CSS, ssr_mode=False, footer_links=["api"],
                        head='<meta name="viewport" content="width=device-width, initial-scale=1">')
