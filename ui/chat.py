"""The 政策咨询 tab: a chat that sends on Enter and streams, the estimate cards, what was understood, 👍/👎, a PDF.

The session id lives in the browser's localStorage, so a reload brings the conversation back.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr

from assistant.sessions import SessionNotFound
from assistant.summary import as_dict, understood
from assistant.summary_pdf import FontMissing, summary_pdf
from assistant.turn import Assistant, InputError
from eligibility.facts import Facts
from ui import views
from ui.facts_panel import build_facts_panel, state_of

EXAMPLES = [
    "我们做智能可穿戴设备，今年新产品销售增量500万元，能拿多少奖励？",
    "我们基于网信办备案的大模型开发了医疗健康垂类大模型，已登记，年度模型购买费用100万元，能奖多少？",
    "国家级智能标注公共服务平台，年度运营费用250万元，一年能拿多少运营奖励？",
    "同时符合两条能都拿吗？",
    "申报需要准备哪些材料？",
]
FEEDBACK_REASONS = ["金额不对", "没回答我的问题", "理解错了我的情况", "引用的条款不对", "其他"]
STREAM_CHARS = 24


def write_download(data: bytes, name: str) -> str:
    """A file Gradio may serve: in a fresh folder under the temp dir, named for the person."""
    path = Path(tempfile.mkdtemp(prefix="policy-summary-")) / name
    path.write_bytes(data)
    return str(path)


def click_js(elem_id: str) -> str:
    """Start the hidden download once its file is ready: one click for the person."""
    return f"() => {{ const el = document.querySelector('#{elem_id}'); (el && (el.querySelector('a, button') || el)).click(); }}"


def build_chat_tab(assistant: Assistant, session_id: gr.BrowserState):
    book = assistant.rulebook
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            chatbot = gr.Chatbot(show_label=False, height=480, buttons=["copy"], elem_id="chat-history",
                                 placeholder=views.WELCOME, feedback_options=("Like", "Dislike"),
                                 layout="bubble")
            question = gr.Textbox(label="您的问题", show_label=False, lines=1, max_lines=6, max_length=2000,
                                  placeholder="说说您的情况或问题，例如：我们做陪伴机器人，今年新品销售增量800万元，能拿多少？",
                                  submit_btn="发送", elem_id="question")
            gr.Markdown("按 Enter 发送，Shift+Enter 换行", elem_id="input-hint")
            with gr.Column(visible=False, elem_id="fb-panel") as fb_panel:
                gr.Markdown("**这条回答哪里不好？**（可不填，直接提交）")
                fb_choice = gr.Radio(FEEDBACK_REASONS, label="原因", elem_id="fb-choice")
                fb_text = gr.Textbox(label="补充说明（可选）", lines=2, max_length=500, elem_id="fb-reason")
                with gr.Row():
                    fb_send = gr.Button("提交反馈", variant="primary", size="sm", elem_id="fb-send")
                    fb_cancel = gr.Button("取消", size="sm", elem_id="fb-cancel")
            fb_turn = gr.State(None)
            gr.Examples(EXAMPLES, inputs=question, label="可以这样问（随时可点）")
            with gr.Row():
                new_session = gr.Button("新会话", size="sm", elem_id="new-session")
                pdf_button = gr.Button("下载咨询摘要（PDF）", size="sm", elem_id="chat-pdf")
                pdf_file = gr.DownloadButton("PDF", visible="hidden", elem_id="chat-pdf-file")
        with gr.Column(scale=2, min_width=300):
            gr.Markdown("### 测算结果")
            estimates = gr.HTML(views.estimates_html([], None), elem_id="estimates")
            gr.Markdown("### 我们了解到的情况")
            known = gr.State(state_of({}, []))
            build_facts_panel(assistant, session_id, known, estimates)

    def respond(message, history, sid, state):
        history = list(history or [])
        text = (message or "").strip()
        if not text:
            yield history, "", sid, state, gr.update()
            return
        history += [{"role": "user", "content": text}, {"role": "assistant", "content": "…"}]
        yield history, "", sid, state, gr.update()
        try:
            try:
                reply = assistant.chat(text, sid, channel="web")
            except SessionNotFound:
                reply = assistant.chat(text, None, channel="web")
        except InputError as exc:
            gr.Warning(str(exc))
            yield history[:-2], message, sid, state, gr.update()
            return
        answer = reply.answer_full or reply.answer
        for end in range(STREAM_CHARS, len(answer), STREAM_CHARS):
            history[-1] = {"role": "assistant", "content": answer[:end]}
            yield history, "", reply.session_id, state, gr.update()
        history[-1] = {"role": "assistant", "content": answer + views.citations_html(reply.citations)}
        sources = [as_dict(s) for s in (getattr(reply, "fact_sources", None) or [])]
        yield (history, "", reply.session_id, state_of(reply.facts, sources),
               views.estimates_html(reply.estimates, reply.total_ceiling_yuan, book))

    def restore(sid):
        empty = ([], None, state_of({}, []), views.estimates_html([], None))
        if not sid:
            return empty
        try:
            session = assistant.store.load(sid)
        except SessionNotFound:
            return empty
        facts = session.state.facts
        assessment = assistant.estimate(facts)
        # the review journal keeps each answer's reply: its citations, and the last one's fact sources
        replies = {r.turn: r.reply for r in assistant.journal.turns(sid)} if assistant.journal is not None else {}
        history, answered = [], 0
        for t in session.turns:
            text = t.text
            if t.role == "assistant":
                text += views.citations_html(replies.get(answered, {}).get("citations") or [])
                answered += 1
            history.append({"role": t.role, "content": text})
        sources = list(replies.get(answered - 1, {}).get("fact_sources") or [])
        return (history, sid, state_of(facts.model_dump(mode="json", exclude_none=True, exclude_defaults=True), sources),
                views.estimates_html(assessment.estimates, assessment.total_ceiling_yuan, book))

    def on_like(sid, history, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = sum(1 for m in (history or [])[:index] if _role(m) == "assistant")
        if data.liked is True:
            _keep(sid, turn, "up", None)
            return gr.update(visible=False), None
        if data.liked is False:
            return gr.update(visible=True), turn
        return gr.update(), None

    def send_feedback(sid, turn, choice, text):
        reason = "；".join(x for x in (choice, (text or "").strip()) if x) or None
        _keep(sid, turn, "down", reason)
        return gr.update(visible=False), None, ""

    def _keep(sid, turn, rating, reason):
        try:
            assistant.feedback(sid, turn, rating, reason)
            gr.Info("谢谢您的反馈，我们会据此改进。", duration=4)
        except (SessionNotFound, InputError) as exc:
            gr.Warning(f"反馈未能记录：{exc}")

    def make_pdf(sid, state):
        facts = Facts.model_validate(state.get("facts") or {})
        assessment = assistant.estimate(facts)
        try:
            data = summary_pdf(understood(facts, state.get("sources")), assessment.estimates,
                               assessment.total_ceiling_yuan, assessment.on_date, "政策咨询摘要")
        except FontMissing as exc:
            gr.Warning(str(exc))
            return gr.update()
        return write_download(data, f"长沙AI政策咨询摘要-{assessment.on_date}.pdf")

    outputs = [chatbot, question, session_id, known, estimates]
    question.submit(respond, [question, chatbot, session_id, known], outputs)
    new_session.click(lambda: ([], None, state_of({}, []), views.estimates_html([], None)), None,
                      [chatbot, session_id, known, estimates])
    chatbot.clear(lambda: (None, state_of({}, []), views.estimates_html([], None)), None, [session_id, known, estimates])
    chatbot.like(on_like, [session_id, chatbot], [fb_panel, fb_turn])
    fb_send.click(send_feedback, [session_id, fb_turn, fb_choice, fb_text], [fb_panel, fb_choice, fb_text])
    fb_cancel.click(lambda: gr.update(visible=False), None, fb_panel)
    pdf_button.click(make_pdf, [session_id, known], pdf_file).then(None, None, None, js=click_js("chat-pdf-file"))
    return restore, [chatbot, session_id, known, estimates]


def _role(message) -> str:
    return message.get("role") if isinstance(message, dict) else getattr(message, "role", "")
