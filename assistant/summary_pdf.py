"""A summary to take away, as a PDF: what an enterprise brings to the responsible unit.

The facts (with the person's own words), every estimate with its steps, the policy's sentence it rests on and
the unit responsible, the total after 从高不重复, the date the rules were applied for, and the disclaimer.
Set in WenQuanYi Micro Hei: Debian's fonts-wqy-microhei where installed, else the copy a pinned PyPI package
ships (paperang-p2-fonts-cjk), so a fresh `make run` can print Chinese without any system package.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from assistant.summary import DISCLAIMER, STATUS_ZH, FactGroup, as_dict, ceiling_text, estimate_steps, set_aside_note, total_sentence
from eligibility.engine import article_name

TOKEN = re.compile(r"[0-9A-Za-z¥][0-9A-Za-z,.%\-]*|\s|.")
SYSTEM_FONTS = [Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")]
POLICY = "《长沙市加快人工智能产业高质量发展若干政策》（长政办发〔2025〕16号）"


class FontMissing(RuntimeError):
    """No Chinese font to set the PDF in; the message says what to install."""


def cjk_font() -> Path:
    for path in SYSTEM_FONTS:
        if path.is_file():
            return path
    try:
        shipped = Path(str(resources.files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"))
    except ModuleNotFoundError:
        shipped = None
    if shipped and shipped.is_file():
        return shipped
    raise FontMissing("找不到中文字体，无法生成 PDF：请安装 fonts-wqy-microhei（apt）或 pip 包 paperang-p2-fonts-cjk。")


class _Doc(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.add_font("wqy", fname=str(cjk_font()))
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("wqy", size=8)
        self.set_text_color(120)
        self.cell(0, 6, f"长沙AI政策助手 · 第 {self.page_no()}/{{nb}} 页 · 金额为估算上限，以责任单位审核为准", align="C")
        self.set_text_color(0)

    def para(self, text: str, size: float = 10, color: int = 0, indent: float = 0, height: float = 5.5) -> None:
        self.set_font("wqy", size=size)
        self.set_text_color(color)
        self.set_x(self.l_margin + indent)
        width = self.epw - indent
        self.multi_cell(width, height, self._wrapped(text, width - 2 * self.c_margin - 0.5), wrapmode=WrapMode.CHAR,
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)

    def _wrapped(self, text: str, width: float) -> str:
        """Chinese breaks between any two characters, but a figure (8,000,000) or a word is never cut."""
        lines, line, used = [], "", 0.0
        for token in TOKEN.findall(text):
            size = self.get_string_width(token)
            if line and used + size > width:
                lines.append(line.rstrip())
                line, used = ("", 0.0) if token.isspace() else (token, size)
            else:
                line, used = line + token, used + size
        return "\n".join([*lines, line])

    def heading(self, text: str, size: float = 13) -> None:
        self.ln(2)
        self.para(text, size=size, height=7)
        self.set_draw_color(200)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)


def summary_pdf(groups: list[FactGroup], estimates: list[Any], total_yuan: int | None, judged_on: dt.date,
                title: str = "政策咨询摘要", made_at: dt.datetime | None = None) -> bytes:
    """The PDF's bytes. `estimates` are the engine's (they carry the quote and the responsible unit)."""
    made_at = made_at or dt.datetime.now().astimezone()
    doc = _Doc()
    doc.set_title(f"长沙AI政策助手 · {title}")
    doc.add_page()
    doc.para(f"长沙AI政策助手 · {title}", size=17, height=9)
    doc.para(f"依据：{POLICY}", size=9, color=80)
    doc.para(f"按 {judged_on.isoformat()} 适用的政策规定判断；生成于 {made_at:%Y-%m-%d %H:%M}", size=9, color=80)

    doc.heading("一、已了解的情况")
    if not groups:
        doc.para("（尚未了解到任何情况）", color=100)
    for group in groups:
        doc.para(group.title, size=11)
        for item in group.items:
            line = f"· {item.label}：{item.shown}"
            if item.quote:
                line += f"　—— 您说：“{item.quote}”"
            elif item.corrected:
                line += "　（已由您在页面上更正）"
            if item.derivation:
                line += f"（{item.derivation}）"
            doc.para(line, indent=4)

    doc.heading("二、可能适用的奖励与测算")
    sentence = total_sentence(estimates, total_yuan)
    if sentence:
        doc.para(sentence, size=11)
    if not estimates:
        doc.para("（尚无测算：请先说明企业和项目的情况）", color=100)
    for number, estimate in enumerate(estimates, 1):
        e = as_dict(estimate)
        doc.ln(2)
        who = f"{e['project']} · " if e.get("project") else ""
        doc.para(f"{number}. {who}{e['title']}（{article_name(e['article'])}）", size=11.5)
        doc.para(f"状态：{STATUS_ZH[e['status']]}　金额：{ceiling_text(e)}", indent=4)
        note = set_aside_note(e)
        if note:
            doc.para(note, indent=4, color=90)
        if e.get("missing"):
            doc.para("还需确认：" + "；".join(e["missing"]), indent=4)
        if e.get("responsible_unit"):
            doc.para(f"责任单位：{e['responsible_unit']}", indent=4)
        if e.get("quote"):
            doc.para(f"政策原文：“{e['quote']}”", indent=4, color=60)
        steps = estimate_steps(e)
        if steps:
            doc.para("计算过程：", indent=4)
            for i, step in enumerate(steps, 1):
                doc.para(f"{i}) {step}", indent=8, size=9)

    doc.heading("三、说明")
    doc.para(DISCLAIMER)
    return bytes(doc.output())
