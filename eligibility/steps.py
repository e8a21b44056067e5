"""The engine's trace as typed steps, and their wording in Chinese and English (templates in rules/steps.yaml).

A step says what was read or computed and on which article it rests; the figures are fields, never text to
parse back. `trace: [str]` of the contract is these steps rendered in Chinese.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from eligibility import catalogue
from eligibility.catalogue import Text

StepKind = Literal[
    "validity", "out_of_validity", "applicant", "applicant_assumed", "applicant_failed", "condition_met",
    "condition_failed", "application_window", "outside_window", "no_amount", "fixed_max", "formula_unknown",
    "formula", "no_base", "tiered_unknown", "tiered", "below_tiers", "amendment", "cap_by_fact",
    "one_off_received", "annual_remainder", "cumulative_remainder", "annual_cap_reached", "cumulative_cap_reached",
    "assumption", "reference_only", "no_stacking", "total"]
ReasonCode = Literal["outside_validity", "applicant_not_covered", "condition_not_met", "outside_application_window",
                     "no_base", "below_tiers", "one_off_received", "annual_cap_reached", "cumulative_cap_reached"]
# the kinds whose step sets or changes the figure
FIGURE_KINDS = {"fixed_max", "formula", "tiered", "cap_by_fact", "annual_remainder", "cumulative_remainder"}
STEPS_FILE = Path(__file__).with_name("rules") / "steps.yaml"


class TotalItem(BaseModel):
    program_id: str
    title: Text
    project: str = ""
    project_index: int = 0
    yuan: int


class MissingFact(BaseModel):
    """A fact still needed: its name (dotted for what was received), label and question in both languages."""

    name: str
    label: Text
    question: Text


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: StepKind
    variant: str = Field(default="", description="within / capped, for formula and tiered")
    article: str = Field(default="", description="section id the step rests on: 1 … 10, closing")
    document: Text | None = Field(default=None, description="a later document's title; None: the policy itself")
    reason: ReasonCode | None = Field(default=None, description="set on a step that rules the programme out")
    fact: str | None = Field(default=None, description="the fact read: base, condition or cap fact")
    value: bool | int | dt.date | str | None = Field(default=None, description="the fact's known value")
    says: Text | None = Field(default=None, description="the condition or support, in the policy's words")
    applicant: str | None = None
    allowed: list[str] = Field(default_factory=list, description="applicant kinds the programme is for")
    base_yuan: int | None = None
    rate: float | None = None
    raw_yuan: int | None = Field(default=None, description="before any cap")
    rounded: bool = False
    threshold_yuan: int | None = Field(default=None, description="the bracket reached, for tiered amounts")
    limit_yuan: int | None = Field(default=None, description="the cap or limit applied")
    received_yuan: int | None = None
    result_yuan: int | None = Field(default=None, description="the figure after this step")
    on_date: dt.date | None = None
    starts: dt.date | None = None
    ends: dt.date | None = None
    quote: str | None = None
    basis: str | None = None
    missing: list[Text] = Field(default_factory=list)
    program_id: str | None = None
    title: Text | None = None
    kept_program_id: str | None = None
    kept_title: Text | None = None
    kept_yuan: int | None = None
    project: str = Field(default="", description="the project's own name, when it has one")
    project_index: int = 0
    several_projects: bool = False
    items: list[TotalItem] = Field(default_factory=list)

    def figures(self) -> list[int]:
        """Every amount this step states."""
        values = (self.base_yuan, self.raw_yuan, self.threshold_yuan, self.limit_yuan, self.received_yuan,
                  self.result_yuan, self.kept_yuan)
        return [v for v in values if v is not None] + [i.yuan for i in self.items]


class _Wording(BaseModel):
    kind: Literal["wording"]
    templates: dict[str, Text]
    fragments: dict[str, Text]


def _load_wording() -> _Wording:
    wording = _Wording.model_validate(yaml.safe_load(STEPS_FILE.read_text(encoding="utf-8")))
    keys = {k.split(".")[0] for k in wording.templates}
    missing = set(StepKind.__args__) - keys
    if missing:
        raise RuntimeError(f"{STEPS_FILE}: no wording for steps {sorted(missing)}")
    return wording


WORDING = _load_wording()
CN_NUMBERS = "零一二三四五六七八九十"


def article_name(article: str, lang: str = "zh") -> str:
    """"1" → 第一条 / Article 1, "10" → 第十条, "closing" → 附则 / the closing provisions."""
    if lang == "en":
        return f"Article {article}" if article.isdigit() else {
            "closing": "the closing provisions", "preamble": "the preamble"}.get(article, article)
    if article.isdigit():
        n = int(article)
        return f"第{CN_NUMBERS[n] if n <= 10 else '十' + CN_NUMBERS[n - 10]}条" if n < 20 else f"第{n}条"
    return {"closing": "附则", "preamble": "序言"}.get(article, article)


def yuan(amount: int | None, lang: str = "zh") -> str:
    return "" if amount is None else f"{amount:,} 元" if lang == "zh" else f"{amount:,} yuan"


def percent(rate: float | None) -> str:
    return "" if rate is None else f"{(Decimal(str(rate)) * 100).normalize():f}%"


def fragment(name: str, lang: str, **fields: object) -> str:
    return WORDING.fragments[name].get(lang).format(**fields)


def project_label(name: str, index: int, several: bool, lang: str) -> str:
    """A project's own name, else 项目2 / Project 2 when there are several, else empty."""
    return name or (fragment("project_n", lang, n=index + 1) if several else "")


def _label(s: Step, lang: str) -> str:
    return catalogue.short_label(s.fact, lang) if s.fact else ""


def _list(values, lang: str) -> str:
    return fragment("list_sep", lang).join(values)


_FIELDS = {
    "where": lambda s, lang: where(s.article, s.document, lang),
    "fact_label": _label,
    "base_label": _label,
    "value": lambda s, lang: catalogue.value_label(s.fact or "", s.value, lang),
    "says": lambda s, lang: s.says.get(lang) if s.says else "",
    "applicant": lambda s, lang: catalogue.value_label("applicant_kind", s.applicant, lang),
    "allowed": lambda s, lang: _list((catalogue.value_label("applicant_kind", k, lang) for k in s.allowed), lang),
    "rate": lambda s, lang: percent(s.rate),
    "rounding": lambda s, lang: fragment("rounding", lang) if s.rounded else "",
    "quote": lambda s, lang: s.quote or "",
    "basis": lambda s, lang: s.basis or "",
    "missing": lambda s, lang: _list((m.get(lang) for m in s.missing), lang),
    "project": lambda s, lang: project_label(s.project, s.project_index, s.several_projects, lang)
    or fragment("same_project", lang),
    "title": lambda s, lang: s.title.get(lang) if s.title else "",
    "kept_title": lambda s, lang: s.kept_title.get(lang) if s.kept_title else "",
    "items": lambda s, lang: fragment("plus", lang).join(f"{i.title.get(lang)} {yuan(i.yuan, lang)}" for i in s.items),
    "on_date": lambda s, lang: str(s.on_date or ""),
    "starts": lambda s, lang: str(s.starts or ""),
    "ends": lambda s, lang: str(s.ends or ""),
    "base": lambda s, lang: yuan(s.base_yuan, lang),
    "raw": lambda s, lang: yuan(s.raw_yuan, lang),
    "limit": lambda s, lang: yuan(s.limit_yuan, lang),
    "received": lambda s, lang: yuan(s.received_yuan, lang),
    "result": lambda s, lang: yuan(s.result_yuan, lang),
    "threshold": lambda s, lang: yuan(s.threshold_yuan, lang),
    "kept": lambda s, lang: yuan(s.kept_yuan, lang),
}


class _Fields(dict):
    """Template fields computed only when a template asks for them."""

    def __init__(self, step: Step, lang: str) -> None:
        super().__init__()
        self.step, self.lang = step, lang

    def __missing__(self, key: str) -> str:
        return _FIELDS[key](self.step, self.lang)


def where(article: str, document: Text | None, lang: str = "zh") -> str:
    if document is None:
        return fragment("policy_where", lang, article=article_name(article, lang))
    return fragment("document_where", lang, article=article_name(article, lang), document=document.get(lang))


def render_step(step: Step, lang: str = "zh") -> str:
    """One step as a sentence in Chinese ("zh") or English ("en")."""
    key = f"{step.kind}.{step.variant}" if step.variant else step.kind
    text = WORDING.templates[key].get(lang).format_map(_Fields(step, lang))
    return text[:1].upper() + text[1:] if lang == "en" else text
