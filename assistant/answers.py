"""The direct answer to what was asked, by intent: the first lines of a reply, before the quote and the estimate.

Every figure and date comes from the rules data (caps, frequency, validity), the engine's estimates or the
knowledge base's document metadata; every quote it asks for is an exact piece of a section, checked where
citations are made (assistant/composer.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from assistant import labels
from eligibility.engine import article_name
from knowledge.parser import cn_to_int

ARTICLE_REF = re.compile(r"第\s*([一二三四五六七八九十\d]+)\s*条|article\s+(\d+)", re.I)
YEAR = re.compile(r"(20\d\d)\s*年?")
INTERPRETER_QUOTE = "由长沙市工业和信息化局负责具体解释"
ADJUSTMENT_QUOTE = "政策实施期间如遇国家、省相关政策调整，按新政策执行"
INTERPRETER = "长沙市工业和信息化局"


@dataclass
class Direct:
    lines: list[str] = field(default_factory=list)
    cite: list[tuple[str, str]] = field(default_factory=list)  # (section id, exact quote) of the policy, first
    show_estimates: bool = False
    whole_section: str | None = None  # article_content: the section quoted whole
    quote_hits: bool = True  # false: no retrieved passage fits (an article that does not exist)


def wan(yuan: int, language: str = "zh") -> str:
    """2_000_000 → 200万元 (2,000,000 元 in English); figures that are not whole 万 stay in yuan."""
    if language == "zh" and yuan and yuan % 10_000 == 0:
        return f"{yuan // 10_000}万元"
    return f"{yuan:,} 元" if language == "zh" else f"{yuan:,} yuan"


def date_text(d: dt.date, language: str) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if language == "zh" else d.strftime("%-d %B %Y")


def named_article(question: str, ctx) -> str | None:
    """The article the person named (第三条, article 3), else the best retrieved one of the policy."""
    m = ARTICLE_REF.search(question)
    if m:
        return str(cn_to_int(m.group(1) or m.group(2)))
    policy_hits = [h for h in ctx.hits if h.doc_id == ctx.policy.doc_id]
    if policy_hits:
        return policy_hits[0].article
    return ctx.assessment.estimates[0].article if ctx.assessment.estimates else None


def _programs(ctx):
    """The programmes this question is about: the estimates', else those of the article asked about."""
    ids = [e.program_id for e in ctx.assessment.estimates]
    if ids:
        return [p for p in ctx.policy.programs if p.id in ids]
    article = named_article(ctx.question, ctx)
    return [p for p in ctx.policy.programs if p.article == article]


def direct_answer(ctx) -> Direct:
    kind = ctx.intent.kind if ctx.intent else "amount"
    handler = HANDLERS.get(kind, _award)
    return handler(ctx)


def _z(ctx, zh: str, en: str) -> str:
    return zh if ctx.language == "zh" else en


def _award(ctx) -> Direct:
    """amount / eligibility: the estimate's conclusion in one or two sentences."""
    out = Direct(show_estimates=True)
    estimates = ctx.assessment.estimates
    lang = ctx.language
    counted = [e for e in estimates if e.counted and e.ceiling_yuan is not None]
    total = ctx.assessment.total_ceiling_yuan
    if len(counted) > 1 and total is not None:
        out.lines.append(_z(ctx, f"按您提供的情况，合计最高可获 {wan(total)}（{total:,} 元，已按“从高不重复”计算）。",
                            f"On what you told us, the total is at most {total:,} yuan (after the no-stacking rule, 从高不重复)."))
        return out
    for e in estimates[:2]:
        title = labels.program_title(e.program_id, e.title, lang)
        missing = [labels.fact_label(n, z, lang) for n, z in zip(e.missing_facts, e.missing, strict=False)]
        if e.status == "not_eligible":
            out.lines.append(_z(ctx, f"按您说的情况，{title}不能获得奖励（0 元）。",
                                f"On the facts given, the {title} cannot be granted (0 yuan)."))
        elif e.ceiling_yuan is not None and e.status == "eligible":
            out.lines.append(_z(ctx, f"{title}：最高可获 {wan(e.ceiling_yuan)}（{e.ceiling_yuan:,} 元）。",
                                f"{title}: at most {e.ceiling_yuan:,} yuan."))
        elif e.ceiling_yuan is not None:
            out.lines.append(_z(ctx, f"{title}：最高可获 {wan(e.ceiling_yuan)}（{e.ceiling_yuan:,} 元），前提是确认：{'、'.join(e.missing)}。",
                                f"{title}: at most {e.ceiling_yuan:,} yuan, provided these are confirmed: {'; '.join(missing)}."))
        elif e.cap_yuan is None:
            out.lines.append(_z(ctx, f"{title}：政策给予支持，但没有规定金额。",
                                f"{title}: the policy gives support but states no amount."))
        else:
            out.lines.append(_z(ctx, f"{title}：还不能算出金额，需要先了解：{'、'.join(e.missing)}（{_limits(ctx, e, 'zh')}）。",
                                f"{title}: the amount cannot be worked out yet; still needed: {'; '.join(missing)} ({_limits(ctx, e, 'en')})."))
        if e.ceiling_yuan is not None and not e.counted and set_aside_by_no_stacking(e):
            out.lines[-1] += _z(ctx, "同一项目按“从高不重复”只取较高的一项，不与上一项叠加。",
                                " For the same project only the higher award counts (从高不重复).")
    return out


def _limits(ctx, e, language: str) -> str:
    """A programme's caps from the rules: the yearly one and the cumulative one where the policy sets them."""
    program = next((p for p in ctx.policy.programs if p.id == e.program_id), None)
    yearly = program.annual_cap_yuan if program else None
    total = program.cumulative_cap_yuan if program else None
    if language == "zh":
        text = f"每年最高 {wan(yearly)}" if yearly else f"单项最高 {wan(e.cap_yuan)}"
        return text + (f"，累计不超过 {wan(total)}" if total else "")
    text = f"at most {yearly:,} yuan a year" if yearly else f"cap {e.cap_yuan:,} yuan"
    return text + (f", {total:,} yuan in total" if total else "")


def _combine(ctx) -> Direct:
    out = Direct(show_estimates=True, cite=[("closing", ctx.policy.no_stacking_quote.rstrip("。"))])
    lang = ctx.language
    estimates = ctx.assessment.estimates
    projects = {e.project for e in estimates if e.ceiling_yuan is not None}
    set_aside = [e for e in estimates if not e.counted and e.ceiling_yuan is not None and set_aside_by_no_stacking(e)]
    if set_aside:
        kept = [e for e in estimates if e.counted and e.project == set_aside[0].project and e.ceiling_yuan is not None]
        best = kept[0] if kept else None
        which = (f"即{best.title}（{article_name(best.article)}）最高 {wan(best.ceiling_yuan)}" if best else "")
        which_en = (f": the {labels.program_title(best.program_id, best.title, lang)} (Article {best.article}), "
                    f"at most {best.ceiling_yuan:,} yuan" if best else "")
        out.lines.append(_z(ctx, f"不能同时享受：同一项目按“从高不重复”只取较高的一项，{which}。",
                            f"No, not both: for the same project only the higher award counts (从高不重复){which_en}."))
    elif len(projects) > 1:
        total = ctx.assessment.total_ceiling_yuan
        out.lines.append(_z(ctx, "可以：不同项目可分别享受，“从高不重复”只适用于同一项目" + (f"，合计最高 {wan(total)}。" if total else "。"),
                            "Yes: separate projects can each receive an award; the no-stacking rule (从高不重复) applies within one project"
                            + (f"; together at most {total:,} yuan." if total else ".")))
    else:
        out.lines.append(_z(ctx, "同一项目不能同时享受同类奖励：符合多项条件的按“从高不重复”只取较高的一项；不同项目可以分别申报。",
                            "Not for the same project: where one project meets several awards, only the higher one is paid "
                            "(从高不重复); separate projects can each apply."))
    return out


def _caps(ctx) -> Direct:
    out = Direct(show_estimates=bool(ctx.assessment.estimates))
    programs = [p for p in _programs(ctx) if p.amount.cap_yuan or p.annual_cap_yuan or p.cumulative_cap_yuan]
    if not ctx.assessment.estimates and not any(p.cumulative_cap_yuan for p in programs):
        programs = [p for p in ctx.policy.programs if p.cumulative_cap_yuan] + programs  # 一共/累计 without context
    for p in programs[:3]:
        title = labels.program_title(p.id, p.title, ctx.language)
        parts_zh, parts_en = [], []
        if p.annual_cap_yuan:
            parts_zh.append(f"每年最高 {wan(p.annual_cap_yuan)}")
            parts_en.append(f"at most {p.annual_cap_yuan:,} yuan a year")
        elif p.amount.cap_yuan:
            parts_zh.append(f"最高 {wan(p.amount.cap_yuan)}")
            parts_en.append(f"at most {p.amount.cap_yuan:,} yuan")
        if p.cumulative_cap_yuan:
            parts_zh.append(f"累计不超过 {wan(p.cumulative_cap_yuan)}（政策有效期内一共最多 {wan(p.cumulative_cap_yuan)}）")
            parts_en.append(f"no more than {p.cumulative_cap_yuan:,} yuan in total over the policy's life")
        else:
            parts_zh.append("政策未规定累计上限")
            parts_en.append("the policy sets no cumulative cap")
        out.lines.append(_z(ctx, f"{title}（{article_name(p.article)}）：{'，'.join(parts_zh)}。",
                            f"{title} (Article {p.article}): {'; '.join(parts_en)}."))
        if len(out.cite) < 2:
            out.cite.append((p.article, p.quote.rstrip("。")))
    if not out.lines:
        out.lines.append(_z(ctx, "政策原文没有为这一项规定金额上限。", "The policy states no cap for this."))
    return out


FREQUENCY = {"yearly": ("每年都可申报（按年度给予）", "paid yearly (it can be applied for each year)"),
             "one_off": ("一次性奖励", "a one-off award"),
             "unspecified": ("政策原文未写明是一次性还是每年给予", "the policy does not say whether it is one-off or yearly")}


def _frequency(ctx) -> Direct:
    out = Direct()
    programs = _programs(ctx) or [p for p in ctx.policy.programs if p.frequency != "unspecified"]
    for p in programs[:3]:
        zh, en = FREQUENCY[p.frequency]
        title = labels.program_title(p.id, p.title, ctx.language)
        out.lines.append(_z(ctx, f"{title}（{article_name(p.article)}）：{zh}。", f"{title} (Article {p.article}): {en}."))
        out.cite.append((p.article, p.quote.rstrip("。")))
    return out


def _validity(ctx) -> Direct:
    v = ctx.policy.validity
    lang = ctx.language
    out = Direct(cite=[("closing", v.quote)])
    line = _z(ctx, f"政策自{date_text(v.starts, lang)}起施行，有效期至{date_text(v.ends, lang)}",
              f"The policy applies from {date_text(v.starts, lang)} and is valid until {date_text(v.ends, lang)}")
    years = sorted({int(y) for y in YEAR.findall(ctx.question)})
    for year in years[:2]:
        if year > v.ends.year or year < v.starts.year:
            line += _z(ctx, f"，{year}年已不在有效期内", f"; {year} is outside the validity period")
        elif year == v.ends.year:
            line += _z(ctx, f"，{year}年仅{date_text(v.ends, lang)}（含）以前在有效期内",
                       f"; in {year} it is valid only up to and including {date_text(v.ends, lang)}")
        else:
            line += _z(ctx, f"，{year}年在有效期内", f"; {year} is within the validity period")
    out.lines.append(line + _z(ctx, "。", "."))
    out.lines.append(_z(ctx, f"（{v.basis}。）", "(Three years from publication, taking 19 December 2025 as the publication date.)"))
    return out


def _document(ctx) -> Direct:
    out = Direct()
    meta = ctx.document.metadata() if ctx.document else {}
    lang = ctx.language
    issued = _iso(meta.get("issued_on"))
    printed = _iso(meta.get("printed_on"))
    if lang == "zh":
        parts = [f"《{meta.get('title', '')}》", f"文号：{meta.get('doc_number') or '未载明'}",
                 f"发文机关：{meta.get('issuer') or '未载明'}"]
        if issued:
            parts.append(f"发布（成文）日期：{date_text(issued, lang)}")
        if printed:
            parts.append(f"印发日期：{date_text(printed, lang)}")
        if meta.get("registration_number"):
            parts.append(f"统一登记号：{meta['registration_number']}")
        out.lines.append("；".join(parts) + "。")
    else:
        parts = [f"document number “{meta.get('doc_number') or 'not stated'}”",
                 f"issued by the {labels.unit_name(meta.get('issuer') or '', 'en')}"]
        if issued:
            parts.append(f"dated {date_text(issued, lang)}")
        if printed:
            parts.append(f"printed and distributed on {date_text(printed, lang)}")
        out.lines.append(f"{labels.policy_title_en()} (《{meta.get('title', '')}》): " + ", ".join(parts) + ".")
    preamble = ctx.section(ctx.policy.doc_id, "preamble")
    if preamble:
        basis = preamble.text.split("文件精神")[0] + "文件精神" if "文件精神" in preamble.text else preamble.text.split("，")[0]
        out.lines.append(_z(ctx, "它依据的上级文件见序言：", "The national and provincial documents it implements are named in its preamble:"))
        out.cite.append(("preamble", basis))
    return out


def _iso(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _no_such_article(ctx, article: str | None) -> Direct | None:
    """A question about 第十一条 of a policy with ten articles: say so rather than quote another one."""
    numbered = [s for s in (ctx.document.sections if ctx.document else []) if s.section_id.isdigit()]
    if article is None or not article.isdigit() or ctx.section(ctx.policy.doc_id, article) is not None or not numbered:
        return None
    last = max(int(s.section_id) for s in numbered)
    return Direct(lines=[_z(ctx, f"政策正文共{article_name(str(last)).removeprefix('第').removesuffix('条')}条"
                                 f"（第一条至{article_name(str(last))}），没有{article_name(article)}。",
                            f"The policy has {last} articles (1 to {last}); there is no article {article}.")],
                  quote_hits=False)


def _section_asked(ctx):
    """(article, section, refusal): the section a question names, or the answer that the policy has no such article."""
    article = named_article(ctx.question, ctx)
    missing = _no_such_article(ctx, article)
    if missing:
        return article, None, missing
    return article, ctx.section(ctx.policy.doc_id, article) if article else None, None


def _article(ctx) -> Direct:
    article, section, missing = _section_asked(ctx)
    if missing:
        return missing
    if section is None:
        return Direct()
    lang = ctx.language
    name = _z(ctx, f"{article_name(article)}（{section.title}）" if section.title and article.isdigit() else article_name(article),
              labels.section_name(article, "", "en"))
    out = Direct(whole_section=article)
    units = "、".join(section.responsible_units)
    out.lines.append(_z(ctx, f"{name}的内容如下" + (f"，责任单位是{units}。" if units else "。"),
                        f"{name} reads as follows" + (f"; responsible: {', '.join(labels.unit_name(u, lang) for u in section.responsible_units)}." if units else ".")))
    if article == "closing" and ADJUSTMENT_QUOTE in section.text:
        out.lines.insert(0, _z(ctx, "如遇国家、省相关政策调整，按新政策执行。", "If national or provincial policies change, the new policy applies."))
    return out


def _responsible(ctx) -> Direct:
    article, section, missing = _section_asked(ctx)
    if missing:
        return missing
    lang = ctx.language
    out = Direct(cite=[("closing", INTERPRETER_QUOTE)])
    if section and section.responsible_units:
        units = section.responsible_units
        out.lines.append(_z(ctx, f"{article_name(article)}（{section.title}）的责任单位是{'、'.join(units)}。",
                            f"{labels.section_name(article, '', 'en')} is the responsibility of the "
                            f"{', '.join(labels.unit_name(u, lang) for u in units)}."))
    out.lines.append(_z(ctx, f"政策由{INTERPRETER}负责具体解释。",
                        f"The policy is interpreted by the {labels.unit_name(INTERPRETER, lang)}."))
    return out


def _silent(ctx) -> Direct:
    topic = (ctx.intent.topic or {}).get(ctx.language) if ctx.intent else None
    units = [u for e in ctx.assessment.estimates for u in e.responsible_unit.split("、") if u]
    unit = units[0] if units else f"市{INTERPRETER.removeprefix('长沙市')}"  # the conversation's unit, else the interpreter
    unit_text = labels.unit_name(unit, ctx.language)
    what_zh = f"对{topic}" if topic else "对这一问题"
    what_en = f"on {topic}" if topic else "on this question"
    return Direct(lines=[_z(ctx, f"政策原文未{what_zh}作出规定，请咨询{unit}（政策由{INTERPRETER}负责具体解释）。",
                            f"The policy text says nothing {what_en}; please ask the {unit_text}, "
                            f"which is responsible (the policy is interpreted by the {labels.unit_name(INTERPRETER, 'en')}).")],
                  cite=[("closing", INTERPRETER_QUOTE)])


def set_aside_by_no_stacking(e) -> bool:
    """Whether 从高不重复 set this estimate aside: the engine's typed no-stacking step says so."""
    return any(step.kind == "no_stacking" for step in e.steps)


HANDLERS = {"amount": _award, "eligibility": _award, "combine": _combine, "caps": _caps, "frequency": _frequency,
            "validity_dates": _validity, "document_meta": _document, "article_content": _article,
            "responsible_unit": _responsible, "silent_topic": _silent}
