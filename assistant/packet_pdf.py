"""The case packet as a PDF (fpdf2), in Chinese: it needs a CJK font on disk (Debian: fonts-wqy-microhei)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.packet import CasePacket

STATUS_ZH = {"eligible": "符合条件", "needs_info": "尚需信息", "not_eligible": "不符合条件"}


class PacketFontMissing(RuntimeError):
    """No CJK font to write Chinese with: said plainly instead of a PDF of empty boxes."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"the PDF needs a CJK font at {path} (Debian: apt-get install fonts-wqy-microhei, or set "
                         f"POLICY_PDF_FONT) / 生成 PDF 需要中文字体 {path}（安装 fonts-wqy-microhei 或设置 POLICY_PDF_FONT）")


def yuan(amount: int | None) -> str:
    return "未规定金额" if amount is None else f"{amount:,} 元"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _step_line(step: dict[str, Any]) -> str:
    """A typed engine step in one line: its kind and article, then each named value (figures with separators)."""
    head = f"{step.get('kind', 'step')}（第{step['article']}条）" if step.get("article") else str(step.get("kind", "step"))
    parts = [f"{k}={_value(v)}" for k, v in step.items() if k not in {"kind", "article"} and v not in (None, [], {}, "")]
    return head + ("：" + "，".join(parts) if parts else "")


def render_pdf(packet: CasePacket, font_path: Path) -> bytes:
    from fpdf import FPDF

    if not Path(font_path).is_file():
        raise PacketFontMissing(Path(font_path))
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("cjk", "", str(font_path))
    pdf.set_title(f"政策咨询转办单 {packet.session_id}")
    pdf.add_page()

    def heading(text: str) -> None:
        pdf.ln(2)
        pdf.set_font("cjk", size=13)
        pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=10)

    def line(text: str, indent: int = 0) -> None:
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("cjk", size=16)
    pdf.multi_cell(0, 10, "长沙AI政策助手 · 政策咨询转办单", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    line(f"会话 {packet.session_id}　渠道 {packet.channel or '—'}　生成于 {packet.generated_at}")
    line("依据：《长沙市加快人工智能产业高质量发展若干政策》（长政办发〔2025〕16号）。金额均为政策测算的最高可获额，以主管部门审核为准。")

    heading("一、企业情况（已了解的事实及其出处）")
    for source in packet.fact_sources:
        project = f"（项目{source['project'] + 1}）" if isinstance(source.get("project"), int) else ""
        derivation = f"，计算：{source['derivation']}" if source.get("derivation") else ""
        line(f"· {source.get('label') or source['fact']}{project}：{_value(source.get('value'))}{derivation}")
        line(f"出处（第{source.get('turn', 0) + 1}轮）：「{source.get('quote', '')}」", indent=6)
    if not packet.fact_sources:
        for name, value in packet.facts.items():
            line(f"· {name}：{_value(value)}")

    heading("二、测算结果")
    for e in packet.estimates:
        project = f"　{e.project}" if e.project else ""
        line(f"【第{e.article}条】{e.title}{project}　{STATUS_ZH.get(e.status, e.status)}"
             f"{'' if e.counted else '（从高不重复，未计入合计）'}")
        line(f"最高可获：{yuan(e.ceiling_yuan)}　政策上限：{yuan(e.cap_yuan)}", indent=6)
        if e.policy_quote:
            line(f"政策原文：「{e.policy_quote}」", indent=6)
        for quote in e.quotes:
            if quote != e.policy_quote:
                line(f"引用：「{quote}」", indent=6)
        for step in e.trace:
            line(f"- {step}", indent=6)
        for step in e.steps:
            line(f"· {_step_line(step)}", indent=6)
        if e.missing:
            line(f"尚需：{'、'.join(e.missing)}", indent=6)
    if packet.total_ceiling_yuan is not None:
        line(f"从高不重复后合计最高：{yuan(packet.total_ceiling_yuan)}")

    heading("三、待确认的问题")
    for question in packet.open_questions or ["（无）"]:
        line(f"· {question}")

    heading("四、责任单位")
    for unit in packet.responsible_units or []:
        line(f"· {unit.unit}：第{'、'.join(unit.articles)}条（{'；'.join(unit.programmes)}）")
    if not packet.responsible_units:
        line("（本次对话未涉及具体奖励项目）")

    heading("五、对话记录")
    for turn in packet.conversation:
        line(f"{'企业' if turn.role == 'user' else '助手'}（{turn.at[:19].replace('T', ' ')}）：{turn.text}")
    return bytes(pdf.output())
