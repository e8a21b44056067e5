"""The deterministic composer: the direct answer first, then the quote it rests on, the estimate, the questions.

Every number in its answer is a ceiling, cap or step of the engine, a date or figure of the rules data or
the document's metadata, or inside a quote; every quote is an exact substring of its section. The reply is
in the conversation's language: English prose around the Chinese quotes, each glossed with its article.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant import labels, render
from assistant.answers import Direct, direct_answer
from assistant.reply import Citation
from eligibility.engine import Assessment, ProgramEstimate, article_name
from knowledge.models import Document, Hit, Section

POLICY_NAME = "《长沙市加快人工智能产业高质量发展若干政策》"
IMPLEMENTATION_QUOTE = "具体实施办法由相关责任单位牵头制定"
NOTICE_ZH = "提示：以上金额为依据政策原文估算的上限，最终以责任单位审核认定为准。"
NOTICE_EN = "Note: figures are ceilings estimated from the policy text; the responsible units decide the final amount."
MAX_CITATIONS = 4
AWARD_KINDS = {"amount", "eligibility", "combine", "caps"}
MORE_ZH, MORE_EN = "（完整回答见详情）", "(full answer in details)"


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
    intent: object = None  # assistant.intent.Intent
    question: str = ""
    policy: object = None  # the rules' PolicyFile: validity, caps, frequency, no-stacking quote
    document: Document | None = None
    on_date: dt.date | None = None
    direct: Direct | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        if self.procedural:
            return "procedure"
        return self.intent.kind if self.intent else "amount"

    def answer_of(self) -> Direct:
        if self.direct is None:
            self.direct = direct_answer(self) if self.policy is not None else Direct(show_estimates=True)
        return self.direct


def _zh_or_en(ctx: TurnContext, zh: str, en: str) -> str:
    return zh if ctx.language == "zh" else en


def citations_for(ctx: TurnContext) -> list[Citation]:
    """The direct answer's quotes first, then programme quotes, then the best retrieved passage; each checked."""
    out: list[Citation] = []
    doc_id = ctx.policy.doc_id if ctx.policy is not None else (ctx.hits[0].doc_id if ctx.hits else "")

    def add(doc: str, article: str, quote: str) -> None:
        section = ctx.section(doc, article)
        if section is None or not quote or quote not in section.text or len(out) >= MAX_CITATIONS:
            return
        if any(c.doc_id == doc and c.article == article and c.quote == quote for c in out):
            return
        out.append(Citation(doc_id=doc, article=article, title=section.title, quote=quote))

    direct = ctx.answer_of()
    if ctx.procedural and doc_id:
        add(doc_id, "closing", IMPLEMENTATION_QUOTE)
    if direct.whole_section:
        section = ctx.section(doc_id, direct.whole_section)
        if section:
            add(doc_id, direct.whole_section, section.text)
    for article, quote in direct.cite:
        add(doc_id, article, quote)
    if ctx.kind in AWARD_KINDS or not out:
        for estimate in ctx.assessment.estimates:
            add(estimate.doc_id, estimate.article, estimate.quote)
    if not out and ctx.hits and not ctx.injection and direct.quote_hits:
        add(ctx.hits[0].doc_id, ctx.hits[0].article, ctx.hits[0].passage)  # a question without an award
    return out


def estimate_line(e: ProgramEstimate, language: str) -> str:
    """One programme's estimate, rendered from the engine's typed steps (assistant/render.py): no trace text is read."""
    return render.estimate_line(e, language)


def follow_up_questions(ctx: TurnContext, limit: int = 3) -> list[str]:
    """The questions for the facts still missing, in the conversation's language, from the data."""
    return render.follow_up(ctx.assessment, ctx.language, limit)


@dataclass
class Answer:
    """The reply's parts in order; `text` is the full answer, `short` the WeChat one."""

    language: str
    direct: list[str] = field(default_factory=list)
    basis: list[str] = field(default_factory=list)
    estimate: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)

    def _ask(self) -> str:
        return "为进一步测算，请告诉我：" if self.language == "zh" else "To refine the estimate, please tell me:"

    def text(self) -> str:
        lines = self.direct + self.basis + self.estimate
        if self.questions:
            lines += [self._ask()] + [f"{i}. {q}" for i, q in enumerate(self.questions, 1)]
        return "\n".join(lines + self.tail)

    def short(self, limit: int) -> str:
        """The direct answer first, then whole follow-up questions, then what else fits; never a bare header."""
        full = self.text()
        if len(full) <= limit:
            return full
        more = MORE_ZH if self.language == "zh" else MORE_EN
        budget = limit - len(more) - 1
        head: list[str] = []
        for line in self.direct:
            if len("\n".join(head + [line])) <= budget:
                head.append(line)
            elif not head:
                head.append(line[: budget - 1] + "…")
        asked = [f"{i}. {q}" for i, q in enumerate(self.questions, 1)]
        while asked and len("\n".join(head + [self._ask()] + asked)) > budget:
            asked.pop()
        ask = [self._ask()] + asked if asked else []
        middle: list[str] = []
        for line in self.basis + self.estimate[1:]:  # the estimate's header line alone says nothing
            if len("\n".join(head + middle + [line] + ask)) <= budget:
                middle.append(line)
        return "\n".join(head + middle + ask + [more])


def compose(ctx: TurnContext, citations: list[Citation]) -> str:
    return build_answer(ctx, citations).text()


def build_answer(ctx: TurnContext, citations: list[Citation]) -> Answer:
    answer = Answer(ctx.language)
    direct = ctx.answer_of()
    if ctx.injection:
        answer.direct.append(_zh_or_en(ctx, "我只能依据政策原文和测算规则回答，金额只来自政策规定，不会按要求更改；上限照常适用。",
                                       "I can only answer from the policy text and its rules; amounts and caps cannot be changed on request."))
    if ctx.procedural:
        answer.direct.append(_zh_or_en(
            ctx, f"{POLICY_NAME}没有规定申报材料、申报时间或申报渠道等具体程序；请以责任单位后续发布的实施细则或申报指南为准。",
            f"The policy {POLICY_NAME} does not say which materials, deadlines or channels apply; the responsible units "
            "will publish implementation rules or application guides."))
    else:
        answer.direct.extend(direct.lines)
    answer.basis = _basis(ctx, citations)
    show_estimates = ctx.kind in AWARD_KINDS or direct.show_estimates
    estimates = ctx.assessment.estimates if show_estimates else []
    if estimates:
        answer.estimate.append(_zh_or_en(ctx, "按您提供的情况测算：", "Estimate from what you told us:"))
        answer.estimate.extend(estimate_line(e, ctx.language) for e in estimates)
        total = ctx.assessment.total_ceiling_yuan
        numeric = [e for e in estimates if e.ceiling_yuan is not None]
        if total is not None and (len(numeric) > 1 or any(not e.counted for e in numeric)):
            answer.estimate.append(_zh_or_en(ctx, f"合计（按“从高不重复”）：最高 {total:,} 元。",
                                             f"Total after the no-stacking rule (从高不重复): at most {total:,} yuan."))
        answer.questions = follow_up_questions(ctx)
    units = _units(ctx, citations) if ctx.kind in AWARD_KINDS else []
    if ctx.procedural:
        answer.tail.append(_zh_or_en(ctx, "各条款的责任单位：", "Responsible units by article: ")
                           + unit_directory(ctx.policy_sections or [], ctx.language))
    elif units:
        answer.tail.append(_zh_or_en(ctx, f"责任单位：{'、'.join(units)}。",
                                     f"Responsible unit(s): {'; '.join(labels.unit_name(u, 'en') for u in units)}."))
    if estimates:
        answer.tail.append(_zh_or_en(ctx, NOTICE_ZH, NOTICE_EN))
    if not (answer.direct or answer.basis or answer.estimate):
        answer.direct.append(_zh_or_en(ctx, "政策原文没有找到与这个问题直接相关的规定。", "The policy text does not say anything on this."))
    return answer


def _basis(ctx: TurnContext, citations: list[Citation]) -> list[str]:
    """The quotes the answer rests on: the first in full, one more if it is another article."""
    shown = [c for c in citations if not (ctx.procedural and c.quote == IMPLEMENTATION_QUOTE)] or citations
    lines = []
    for i, c in enumerate(shown[:2]):
        if i and c.article == shown[0].article:
            continue
        zh_label = article_name(c.article) + ("" if not c.article.isdigit() else f"（{c.title}）")
        if ctx.language == "zh":
            lines.append(f"{'依据' if i == 0 else '另见'}{POLICY_NAME if i == 0 else ''}{zh_label}：“{c.quote}”")
        else:
            lines.append(f"{'Basis' if i == 0 else 'See also'}: {labels.section_name(c.article, '', 'en')}, "
                         f"in the original Chinese: “{c.quote}”")
    return lines


def _units(ctx: TurnContext, citations: list[Citation]) -> list[str]:
    units: list[str] = []
    for e in ctx.assessment.estimates:
        units.extend(u for u in e.responsible_unit.split("、") if u)
    for c in citations:
        section = ctx.section(c.doc_id, c.article)
        if section:
            units.extend(section.responsible_units)
    return list(dict.fromkeys(units))


def unit_directory(sections: list[Section], language: str = "zh") -> str:
    """市工业和信息化局（第一、二条）；市数据局（第六、七条）… from the sections' own （责任单位：…）."""
    by_unit: dict[str, list[str]] = {}
    for section in sections:
        for unit in section.responsible_units:
            by_unit.setdefault(unit, []).append(section.section_id)
    if language != "zh":
        return "; ".join(f"{labels.unit_name(u, 'en')}: articles {', '.join(arts)}" for u, arts in by_unit.items()) + "."
    return "；".join(f"{unit}（第{'、'.join(article_name(a).removeprefix('第').removesuffix('条') for a in arts)}条）"
                    for unit, arts in by_unit.items()) + "。"


def redirect(language: str, kind: str = "out_of_scope") -> str:
    if kind == "chit_chat":
        return ("您好！我是长沙AI政策助手，解答《长沙市加快人工智能产业高质量发展若干政策》（长政办发〔2025〕16号）的问题，"
                "也可以按您企业的情况测算奖励上限。请问有什么可以帮您？" if language == "zh" else
                "Hello! I answer questions about Changsha's AI industry policy (长政办发〔2025〕16号) and estimate the "
                "awards your enterprise could receive. What would you like to know?")
    if language == "zh":
        return ("抱歉，我只解答《长沙市加快人工智能产业高质量发展若干政策》（长政办发〔2025〕16号）的相关问题，"
                "例如：智能硬件新产品奖励、垂类大模型奖励、创新平台运营奖励、数据标注与数据要素支持、金融和人才政策等。")
    return ("Sorry, I can only answer questions about Changsha's AI industry policy (长政办发〔2025〕16号): awards for "
            "smart hardware, vertical models, innovation platforms, data annotation, finance and talent support.")


def shorten(answer: str, limit: int) -> str:
    """A plain text cut to `limit` at whole lines (for answers that are not an `Answer`, e.g. an LLM's)."""
    if len(answer) <= limit:
        return answer
    more = MORE_ZH if any("\u4e00" <= ch <= "\u9fff" for ch in answer[:40]) else MORE_EN
    out = ""
    for line in answer.split("\n"):
        candidate = f"{out}\n{line}" if out else line
        if len(candidate) > limit - len(more) - 1:
            break
        out = candidate
    return (out or answer[: limit - len(more) - 2]) + "\n" + more
