"""The deterministic composer: an answer built only from quoted policy text and the engine's figures.

Every number in its answer is a ceiling, cap or trace step of the engine, or inside a quote; every quote
is an exact substring of its section. English questions get English prose around the Chinese quotes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant import render
from assistant.reply import Citation
from eligibility.engine import Assessment, ProgramEstimate, article_name
from knowledge.models import Hit, Section

POLICY_NAME = "《长沙市加快人工智能产业高质量发展若干政策》"
IMPLEMENTATION_QUOTE = "具体实施办法由相关责任单位牵头制定"
NOTICE_ZH = "提示：以上金额为依据政策原文估算的上限，最终以责任单位审核认定为准。"
NOTICE_EN = "Note: figures are ceilings estimated from the policy text; the responsible units decide the final amount."
MAX_CITATIONS = 4


@dataclass
class TurnContext:
    language: str
    hits: list[Hit]
    assessment: Assessment
    procedural: bool
    injection: bool
    section: Callable[[str, str], Section | None]  # (doc_id, section id) → section
    validity: str = ""  # the engine's dated validity window, said when the closing provisions are cited
    policy_sections: list[Section] | None = None  # for the directory of responsible units


def _zh_or_en(ctx: TurnContext, zh: str, en: str) -> str:
    return zh if ctx.language == "zh" else en


def citations_for(ctx: TurnContext) -> list[Citation]:
    """Programme quotes first, then the best retrieved passages; each checked against its section."""
    out: list[Citation] = []

    def add(doc_id: str, article: str, quote: str) -> None:
        section = ctx.section(doc_id, article)
        if section is None or quote not in section.text or len(out) >= MAX_CITATIONS:
            return
        if any(c.doc_id == doc_id and c.article == article and c.quote == quote for c in out):
            return
        out.append(Citation(doc_id=doc_id, article=article, title=section.title, quote=quote))

    if ctx.procedural and ctx.hits:
        add(ctx.hits[0].doc_id, "closing", IMPLEMENTATION_QUOTE)
    for estimate in ctx.assessment.estimates:
        add(estimate.doc_id, estimate.article, estimate.quote)
    if not out and ctx.hits and not ctx.injection:
        add(ctx.hits[0].doc_id, ctx.hits[0].article, ctx.hits[0].passage)  # a question without an award
    return out


def _estimate_line(ctx: TurnContext, e: ProgramEstimate) -> str:
    """One estimate from its typed steps (assistant/render.py): nothing here reads trace text."""
    return render.estimate_line(e, ctx.language)


def compose(ctx: TurnContext, citations: list[Citation]) -> str:
    lines: list[str] = []
    if ctx.injection:
        lines.append(_zh_or_en(ctx, "我只能依据政策原文和测算规则回答，金额只来自政策规定，不会按要求更改。",
                               "I can only answer from the policy text and its rules; amounts cannot be changed on request."))
    if ctx.procedural:
        lines.append(_zh_or_en(
            ctx, f"{POLICY_NAME}没有规定申报材料、申报时间或申报渠道等具体程序；附则明确“{IMPLEMENTATION_QUOTE}”。请以责任单位后续发布的实施细则或申报指南为准。",
            f"The policy {POLICY_NAME} does not say which materials, deadlines or channels apply; its closing provisions say “{IMPLEMENTATION_QUOTE}” (the responsible units will issue implementation rules)."))
    if citations and not (ctx.procedural and len(citations) == 1):
        first = citations[1] if ctx.procedural else citations[0]
        label = article_name(first.article) + ("" if first.article == "closing" else f"（{first.title}）")
        en_label = "The closing provisions" if first.article == "closing" else f"Article {first.article} ({first.title})"
        lines.append(_zh_or_en(ctx, f"{POLICY_NAME}{label}规定：“{first.quote}”",
                               f"{en_label} of the policy say: “{first.quote}”"))
        if first.article == "closing" and "有效期" in first.quote and ctx.validity:
            lines.append(ctx.validity)
        for extra in citations[citations.index(first) + 1:][:1]:
            if extra.article != first.article:
                lines.append(_zh_or_en(ctx, f"{article_name(extra.article)}（{extra.title}）：“{extra.quote}”",
                                       f"See also article {extra.article} ({extra.title}): “{extra.quote}”"))
    estimates = ctx.assessment.estimates
    if estimates:
        lines.append(_zh_or_en(ctx, "按您提供的情况测算：", "Estimate from what you told us:"))
        lines.extend(_estimate_line(ctx, e) for e in estimates)
        total = ctx.assessment.total_ceiling_yuan
        numeric = [e for e in estimates if e.ceiling_yuan is not None]
        if total is not None and (len(numeric) > 1 or any(not e.counted for e in numeric)):
            lines.append(render.total_line(ctx.assessment, ctx.language))
    follow_up = render.follow_up(ctx.assessment, ctx.language, 3)
    if follow_up:
        lines.append(_zh_or_en(ctx, "为进一步测算，请告诉我：", "To refine the estimate, please tell me:"))
        lines.extend(f"{i}. {q}" for i, q in enumerate(follow_up, 1))
    units = _units(ctx, citations)
    if not units and ctx.procedural:
        lines.append(_zh_or_en(ctx, "各条款的责任单位：", "Responsible units by article:") + unit_directory(ctx.policy_sections or []))
    if units:
        lines.append(_zh_or_en(ctx, f"责任单位：{'、'.join(units)}。", f"Responsible unit(s): {'、'.join(units)}."))
    if estimates:
        lines.append(_zh_or_en(ctx, NOTICE_ZH, NOTICE_EN))
    if not lines:
        lines.append(_zh_or_en(ctx, "政策原文没有找到与这个问题直接相关的规定。", "The policy text does not say anything on this."))
    return "\n".join(lines)


def _units(ctx: TurnContext, citations: list[Citation]) -> list[str]:
    units: list[str] = []
    for e in ctx.assessment.estimates:
        units.extend(u for u in render.responsible_units(e, ctx.language).split("、") if u)
    for c in citations:
        section = ctx.section(c.doc_id, c.article)
        if section:
            units.extend(section.responsible_units)
    return list(dict.fromkeys(units))


def unit_directory(sections: list[Section]) -> str:
    """市工业和信息化局（第一、二条）；市数据局（第六、七条）… from the sections' own （责任单位：…）."""
    by_unit: dict[str, list[str]] = {}
    for section in sections:
        for unit in section.responsible_units:
            by_unit.setdefault(unit, []).append(article_name(section.section_id).removeprefix("第").removesuffix("条"))
    return "；".join(f"{unit}（第{'、'.join(arts)}条）" for unit, arts in by_unit.items()) + "。"


def redirect(language: str) -> str:
    if language == "zh":
        return ("抱歉，我只解答《长沙市加快人工智能产业高质量发展若干政策》（长政办发〔2025〕16号）的相关问题，"
                "例如：智能硬件新产品奖励、垂类大模型奖励、创新平台运营奖励、数据标注与数据要素支持、金融和人才政策等。")
    return ("Sorry, I can only answer questions about Changsha's AI industry policy (长政办发〔2025〕16号): awards for "
            "smart hardware, vertical models, innovation platforms, data annotation, finance and talent support.")


def shorten(answer: str, limit: int) -> str:
    """A WeChat-sized answer: whole lines from the top, within `limit` characters."""
    if len(answer) <= limit:
        return answer
    out = ""
    for line in answer.split("\n"):
        candidate = f"{out}\n{line}" if out else line
        if len(candidate) > limit - 12:
            break
        out = candidate
    if not out:
        out = answer[: limit - 12]
    return out + "\n（完整回答见详情）"
