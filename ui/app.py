"""The Gradio web UI, mounted on the API's FastAPI app at /ui (/ redirects there): one process, one port.

Three tabs: 政策咨询 (chat, estimate cards, the facts understood and their correction, feedback, a PDF),
政策体检 (a questionnaire generated from the rules, every programme that fits, what-if, a PDF), and
政策原文 (the whole policy).
"""

from __future__ import annotations

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from assistant.turn import Assistant
from eligibility.engine import article_name
from ui import views
from ui.chat import build_chat_tab
from ui.checkup_tab import build_checkup_tab

UI_PATH = "/ui"
CSS = views.CSS


def section_heading(section_id: str, title: str) -> str:
    """第一条 支持创新产品供给; 序言 and 附则 once, whether or not the title repeats the article's name."""
    name = article_name(section_id)
    title = (title or "").strip()
    return name if not title or title == name else f"{name} {title}"


def section_body(text: str, responsible_units: list[str]) -> str:
    """The section's text, and its 责任单位 unless the text already says them."""
    if not responsible_units or "责任单位" in text:
        return text
    return f"{text}\n\n责任单位：{'、'.join(responsible_units)}"


def build_policy_tab(assistant: Assistant) -> None:
    doc = assistant.kb.documents.get("changsha-ai-2025")
    if not doc:
        gr.Markdown("政策原文尚未载入。")
        return
    gr.Markdown(f"**{doc.title}**　{doc.doc_number}　{doc.issuer}　{doc.issued_on}")
    for section in doc.sections:
        with gr.Accordion(section_heading(section.section_id, section.title), open=section.section_id == "1"):
            gr.Markdown(section_body(section.text, section.responsible_units))


def build_ui(assistant: Assistant) -> gr.Blocks:
    with gr.Blocks(title="长沙AI政策助手") as demo:
        session_id = gr.BrowserState(None, storage_key="changsha-policy-assistant-session")
        gr.Markdown("# 长沙AI政策助手\n《长沙市加快人工智能产业高质量发展若干政策》（长政办发〔2025〕16号）咨询与奖励测算")
        gr.Markdown(views.NOTICE)
        with gr.Tabs():
            with gr.Tab("政策咨询", id="chat"):
                restore, restored = build_chat_tab(assistant, session_id)
            with gr.Tab("政策体检", id="checkup"):
                build_checkup_tab(assistant.rulebook, assistant.today)
            with gr.Tab("政策原文", id="policy"):
                build_policy_tab(assistant)
        demo.load(restore, session_id, restored)
    return demo


def mount_ui(app: FastAPI, assistant: Assistant) -> None:
    @app.get("/", include_in_schema=False)
    def root():
        return RedirectResponse(UI_PATH + "/")

    gr.mount_gradio_app(app, build_ui(assistant), path=UI_PATH, css=CSS, ssr_mode=False, footer_links=["api"],
                        head='<meta name="viewport" content="width=device-width, initial-scale=1">')
