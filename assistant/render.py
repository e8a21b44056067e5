"""The engine's typed steps, estimates and totals as Chinese or English sentences, with labels from the data.

Nothing here reads trace text: every sentence is built from `Step` fields and the wording in
eligibility/rules/steps.yaml, programme titles from the rules, fact labels and questions from facts.yaml.
"""

from __future__ import annotations

from eligibility.engine import Assessment, ProgramEstimate
from eligibility.steps import Step, article_name, fragment, project_label, render_step, yuan

__all__ = ["render_step", "render_steps", "render_estimate", "estimate_line", "figure_text", "reason_text",
           "missing_labels", "follow_up", "total_line", "total_steps", "responsible_units", "title"]

WORDS = {
    "at_most": {"zh": "最高可获 {figure}", "en": "at most {figure}"},
    "provided": {"zh": "最高可获 {figure}（前提是以下情况确认符合：{missing}）",
                 "en": "at most {figure}, provided these are confirmed: {missing}"},
    "not_eligible": {"zh": "按已知情况不符合。{reason}", "en": "not eligible on the facts given. {reason}"},
    "no_figure": {"zh": "{support}", "en": "the policy gives support but states no amount. {support}"},
    "still_needed": {"zh": "{steps}。需要先了解：{missing}。", "en": "{steps}. Still needed: {missing}."},
    "set_aside": {"zh": "（同一项目从高不重复，不与较高的一项叠加）",
                  "en": " (same project: only the higher award counts, so this one is not added)"},
    "reference": {"zh": "（仅供参考，尚无相关情况，不计入合计）", "en": " (for reference; not counted in the total)"},
    "total": {"zh": "合计（按“从高不重复”）：最高 {figure}。",
              "en": "Total after the no-stacking rule (only the highest award per project counts): at most {figure}."},
    "head": {"zh": "· {project}{title}（{article}）", "en": "· {project}{title} ({article})"},
    "project": {"zh": "{name}：", "en": "{name}: "},
    "join": {"zh": "；", "en": "; "},
}


def _w(key: str, lang: str, **fields: object) -> str:
    return WORDS[key]["en" if lang == "en" else "zh"].format(**fields)


def render_steps(steps: list[Step], lang: str = "zh") -> list[str]:
    """Each step as one sentence in `lang` ("zh" or "en")."""
    return [render_step(s, lang) for s in steps]


def title(e: ProgramEstimate, lang: str = "zh") -> str:
    return e.title_in(lang)


def responsible_units(e: ProgramEstimate, lang: str = "zh") -> str:
    return e.responsible_unit_en if lang == "en" and e.responsible_unit_en else e.responsible_unit


def figure_text(e: ProgramEstimate, lang: str = "zh") -> str:
    """Every step that sets or changes the figure (formula, caps, remainders), or why it cannot be computed."""
    kinds = {"formula_unknown", "tiered_unknown"}
    steps = e.figure_steps() or [s for s in e.steps if s.kind in kinds]
    return _w("join", lang).join(render_steps(steps, lang))


def reason_text(e: ProgramEstimate, lang: str = "zh") -> str:
    """Why the programme is ruled out: its failing steps."""
    return _w("join", lang).join(render_steps(e.failures(), lang))


def missing_labels(e: ProgramEstimate, lang: str = "zh") -> str:
    return fragment("list_sep", lang).join(m.label.get(lang) for m in e.missing_info)


def render_estimate(e: ProgramEstimate, lang: str = "zh") -> str:
    """The estimate in one line: its figure or status, the steps behind it, and what is still needed."""
    if e.status == "not_eligible":
        return _w("not_eligible", lang, reason=reason_text(e, lang))
    if e.ceiling_yuan is None and e.cap_yuan is None:
        support = e.step("no_amount")
        return _w("no_figure", lang, support=render_step(support, lang) if support else "")
    if e.ceiling_yuan is None:
        return _w("still_needed", lang, steps=figure_text(e, lang), missing=missing_labels(e, lang))
    figure = yuan(e.ceiling_yuan, lang)
    head = _w("at_most", lang, figure=figure) if e.status == "eligible" else \
        _w("provided", lang, figure=figure, missing=missing_labels(e, lang))
    line = f"{head}{'。' if lang == 'zh' else '. '}{figure_text(e, lang)}"
    if not e.counted:
        line += _w("set_aside" if e.step("no_stacking") else "reference", lang)
    return line


def estimate_line(e: ProgramEstimate, lang: str = "zh", several_projects: bool = False) -> str:
    """`· 项目：标题（第N条）：…` / `· Project: Title (Article N): …` for the composer's list of estimates."""
    name = project_label(e.project_name, e.project_index, several_projects or bool(e.project), lang)
    head = _w("head", lang, project=_w("project", lang, name=name) if name else "", title=title(e, lang),
              article=article_name(e.article, lang))
    return f"{head}{'：' if lang == 'zh' else ': '}{render_estimate(e, lang)}"


def total_steps(assessment: Assessment, lang: str = "zh") -> list[str]:
    return render_steps(assessment.total_steps, lang)


def total_line(assessment: Assessment, lang: str = "zh") -> str:
    total = assessment.total_ceiling_yuan
    return "" if total is None else _w("total", lang, figure=yuan(total, lang))


def follow_up(assessment: Assessment, lang: str = "zh", limit: int | None = None) -> list[str]:
    """The questions for the facts still missing, in `lang`, in the engine's order."""
    questions = [m.question.get(lang) for m in assessment.missing]
    return questions[:limit] if limit is not None else questions
