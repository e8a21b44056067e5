"""What the UI shows, as plain data: estimate rows, citation Markdown, the facts panel, and fact corrections."""

from __future__ import annotations

import datetime as dt
from typing import Any

from assistant.render import render_steps
from assistant.reply import Citation
from eligibility.engine import Assessment, article_name
from eligibility.facts import LABELS_ZH, Facts, ProjectFacts, field_info
from eligibility.rules import Program
from eligibility.steps import Step

STATUS_ZH = {"eligible": "符合条件", "needs_info": "待补充信息", "not_eligible": "不符合"}
ESTIMATE_HEADERS = ["项目", "奖励", "条款", "状态", "最高可获（元）", "计算过程"]
FACT_HEADERS = ["项目", "事实", "值"]
NOTICE = ("**提示**：页面上的金额是依据政策原文估算的**上限**，最终金额由各责任单位审核认定；"
          "政策未规定的申报材料、时间和渠道，以责任单位后续发布的实施细则或申报指南为准。")


def _ceiling(value: int | None, status: str) -> str:
    if value is None:
        return "未规定金额" if status != "needs_info" else "待补充后计算"
    return f"{value:,}"


def estimate_rows(estimates) -> list[list[str]]:
    rows = []
    for e in estimates:
        e = e if isinstance(e, dict) else e.model_dump()
        steps = [Step.model_validate(step) for step in e.get("steps") or []]
        set_aside = any(step.kind == "no_stacking" for step in steps)
        note = "" if e.get("counted", True) else ("（从高不重复，不计入合计）" if set_aside else "（仅供参考）")
        shown = render_steps([step for step in steps if step.kind != "validity"], "zh") if steps else e["trace"]
        rows.append([e.get("project") or "—", e["title"] + note, article_name(e["article"]), STATUS_ZH[e["status"]],
                     _ceiling(e["ceiling_yuan"], e["status"]), "\n".join(shown) or "—"])
    return rows


def total_markdown(total: int | None, estimates) -> str:
    if not estimates:
        return ""
    if total is None:
        return "**合计**：暂不能给出金额（缺少计算所需的信息，或政策未规定金额）。"
    return f"**合计（按“从高不重复”）：最高 {total:,} 元**"


def citations_markdown(citations: list[Citation]) -> str:
    if not citations:
        return "_本次回答没有引用政策条款。_"
    parts = []
    for c in citations:
        parts.append(f"<details open><summary><b>{article_name(c.article)} {c.title}</b></summary>\n\n> {c.quote}\n\n</details>")
    return "\n".join(parts)


def _shown(value: Any) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, str):
        return LABELS_ZH.get(value, value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def fact_rows(facts: Facts) -> list[list[str]]:
    rows = []
    for name in ("applicant_kind", "registered_in_changsha", "application_date"):
        value = getattr(facts, name)
        if value is not None:
            rows.append(["申请主体", field_info(name)[0], _shown(value)])
    for i, project in enumerate(facts.projects):
        label = project.name or f"项目{i + 1}"
        for name in ProjectFacts.model_fields:
            value = getattr(project, name)
            if name in {"name", "awards_received"} or value is None:
                continue
            rows.append([label, field_info(name)[0], _shown(value)])
        for program_id, received in project.awards_received.items():
            for part, amount in (("今年已获", received.this_year_yuan), ("累计已获", received.total_yuan)):
                if amount is not None:
                    rows.append([label, f"{part}（{program_id}）", f"{amount:,}"])
    return rows or [["—", "（尚未了解到任何情况）", ""]]


def correctable_facts() -> list[tuple[str, str]]:
    """(label, field) of every fact a person may set from the facts panel."""
    names = ["applicant_kind", "registered_in_changsha", "application_date"] + [
        n for n in ProjectFacts.model_fields if n not in {"name", "awards_received", "hardware_kind", "model_domain"}]
    return [(field_info(n)[0], n) for n in names]


def parse_value(name: str, raw: str) -> Any:
    """A person's text for a fact → its typed value; empty text makes the fact unknown again."""
    text = (raw or "").strip().replace(",", "").replace("，", "")
    if not text:
        return None
    model = Facts if name in Facts.model_fields else ProjectFacts
    annotation = str(model.model_fields[name].annotation)
    if "bool" in annotation:
        if text in {"是", "有", "已", "yes", "true", "1"}:
            return True
        if text in {"否", "无", "未", "no", "false", "0"}:
            return False
        raise ValueError("请填写“是”或“否”")
    if "int" in annotation:
        return parse_amount(text)
    if "date" in annotation:
        return dt.date.fromisoformat(text)
    reverse = {v: k for k, v in LABELS_ZH.items()}
    return reverse.get(text, text)


def parse_amount(raw: str) -> int | None:
    """A person's amount: 5000000, 5,000,000, 500万, 0.3亿; empty is unknown."""
    from assistant.amounts import find_amounts

    text = (raw or "").strip().replace(",", "").replace("，", "")
    if not text:
        return None
    if text.lstrip("-").isdigit():
        return int(text)
    amounts = find_amounts(text if text[-1] in "元万亿" else text + "元")
    if not amounts:
        raise ValueError("请填写金额，如 5000000 或 500万")
    return amounts[0].yuan


def apply_correction(facts: Facts, name: str, raw: str, project_index: int = 0) -> Facts:
    value = parse_value(name, raw)
    data = facts.model_dump()
    if name in Facts.model_fields:
        data[name] = value
    else:
        projects = data["projects"] or [{}]
        index = min(max(project_index, 0), len(projects) - 1)
        projects[index][name] = value
        data["projects"] = projects
    return Facts.model_validate(data)


def program_facts(program: Program) -> list[str]:
    """The facts a calculator form needs for one programme."""
    names = [c.fact for c in program.conditions]
    if program.amount.base:
        names.append(program.amount.base)
    return list(dict.fromkeys(names))


def calculator_result(assessment: Assessment) -> tuple[list[list[str]], str]:
    rows = estimate_rows(assessment.estimates)
    lines = []
    for e in assessment.estimates:
        lines.append(f"**{e.title}（{article_name(e.article)}）— {STATUS_ZH[e.status]}**")
        lines.extend(f"- {step}" for step in e.trace)
        if e.missing:
            lines.append(f"- 尚需确认：{'、'.join(e.missing)}")
    return rows, "\n".join(lines)
