"""The reply of one chat turn: the `/v1/chat` object of CONTRACT.md (extra fields are compatible additions)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


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

    @classmethod
    def from_engine(cls, estimate) -> Estimate:
        """The reply's view of an engine `ProgramEstimate`: the contract's fields and a few more."""
        return cls(**estimate.model_dump(include=set(cls.model_fields)))


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
    intent: str | None = Field(default=None, description="what the question asks (amount, combine, validity_dates, …)")
