"""The reply of one chat turn: the `/v1/chat` object of CONTRACT.md (extra fields are compatible additions)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from eligibility.steps import MissingFact, Step


class Citation(BaseModel):
    doc_id: str
    article: str = Field(description="section id: preamble, 1 … 10, closing; other documents their own")
    title: str
    quote: str = Field(description="an exact substring of that section's text")


class Estimate(BaseModel):
    program_id: str
    article: str
    title: str
    status: Literal["eligible", "needs_info", "not_eligible"]
    ceiling_yuan: int | None
    cap_yuan: int | None
    trace: list[str]
    missing: list[str]
    counted: bool = Field(default=True, description="false: set aside by 从高不重复, or listed for reference only")
    project: str = ""
    responsible_unit: str = ""
    title_en: str = ""
    responsible_unit_en: str = ""
    steps: list[Step] = Field(default_factory=list, description="the calculation as typed steps; `trace` renders them")
    missing_info: list[MissingFact] = Field(default_factory=list,
                                            description="the missing facts with labels and questions in zh and en")

    @classmethod
    def from_engine(cls, estimate) -> Estimate:
        """The reply's view of an engine `ProgramEstimate`: the contract's fields and a few more."""
        return cls(**estimate.model_dump(include=set(cls.model_fields)))


class FactSourceOut(BaseModel):
    fact: str
    project: int | None = Field(description="index in facts.projects; null for the applicant's own facts")
    value: Any
    turn: int = Field(description="index of the user turn in the session, from 0")
    quote: str = Field(description="an exact substring of that user turn")
    derivation: str | None = Field(default=None, description='e.g. "32,000,000 − 19,000,000"')


class ChatReply(BaseModel):
    session_id: str
    answer: str = Field(description="what to show the person")
    in_scope: bool = Field(description="false: the question is not about this policy")
    citations: list[Citation]
    estimates: list[Estimate]
    total_ceiling_yuan: int | None
    follow_up: list[str]
    facts: dict[str, Any]
    answer_full: str | None = Field(default=None, description="the full answer, when `answer` was shortened (WeChat)")
    language: Literal["zh", "en"] = "zh"
    composer: Literal["deterministic", "llm"] = "deterministic"
    fact_sources: list[FactSourceOut] = Field(default_factory=list, description="where each known fact came from")
    confirm: list[str] = Field(default_factory=list, description="what the assistant asks the person to confirm before using it")
    intent: str | None = Field(default=None, description="what the question asks (amount, combine, validity_dates, …)")
