"""Typed shapes of the staff endpoints (the OpenAPI page is the staff integrators' manual)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ConversationItem(BaseModel):
    session_id: str
    started_at: str
    last_at: str
    channel: str | None
    owner: str | None = Field(description="the tenant: the API key's name, never the key")
    user_id: str | None
    turns: int
    out_of_scope: int = Field(description="answers that found the question outside the policy")
    confirm: int = Field(description="answers that asked something back (follow_up or confirm)")
    down: int
    up: int
    first_message: str
    programmes: list[str]


class ConversationPage(BaseModel):
    total: int
    limit: int
    offset: int
    conversations: list[ConversationItem]


class ExpectedOut(BaseModel):
    session_id: str
    turn: int
    expect: dict[str, int | None]
    total: int | None
    max_any: int | None
    out_of_scope: bool
    note: str | None
    at: str


class Totals(BaseModel):
    conversations: int
    turns: int
    conversations_out_of_scope: int
    conversations_asked_to_confirm: int
    thumbs_down: int
    thumbs_up: int


class DayChannel(BaseModel):
    day: str
    channel: str
    conversations: int


class ProgrammeRow(BaseModel):
    program_id: str
    article: str
    title: str
    questions: int = Field(description="answered turns whose reply listed the programme")
    conversations: int
    estimates_given: int = Field(description="estimates with a figure in each conversation's last turn on the programme")
    sum_ceiling_yuan: int


class MissingFact(BaseModel):
    fact: str
    conversations: int
    turns: int


class OutOfScopeGroup(BaseModel):
    size: int
    example: str
    questions: list[str]


class ThumbsDown(BaseModel):
    session_id: str
    turn: int
    reason: str | None
    at: str
    message: str | None


class Statistics(BaseModel):
    since: str | None
    until: str | None
    totals: Totals
    per_day_channel: list[DayChannel]
    per_programme: list[ProgrammeRow]
    missing_facts: list[MissingFact]
    out_of_scope_groups: list[OutOfScopeGroup]
    thumbs_down: list[ThumbsDown]
