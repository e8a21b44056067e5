"""Request and response models: they are the OpenAPI document, the hotline's manual."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.reply import ChatReply, Estimate, FactSourceOut
from assistant.turn import MAX_MESSAGE_CHARS, clean_message
from eligibility.facts import Facts
from eligibility.steps import Step

ID_PATTERN = r"^[A-Za-z0-9_\-]{1,128}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def checked_message(text: str) -> str:
    """The assistant's own message check, stricter at the HTTP door: a NUL byte is refused, not stripped."""
    if "\x00" in text:
        raise ValueError("message contains NUL characters / 消息含有空字符")
    return clean_message(text)


class ChatRequest(Strict):
    message: str = Field(description="the question, 1–2000 characters after trimming",
                         examples=["我们做智能可穿戴设备，今年新产品销售增量500万元，能拿多少奖励？"])
    session_id: str | None = Field(default=None, pattern=ID_PATTERN, description="null: start a new session")
    user_id: str | None = Field(default=None, max_length=128, description="e.g. a WeChat openid")
    channel: Literal["web", "hotline", "wechat"] | None = Field(default=None, description="wechat: answers ≤ 300 characters")

    @field_validator("message")
    @classmethod
    def _message(cls, v: str) -> str:
        return checked_message(v)


class ErrorBody(BaseModel):
    code: str = Field(examples=["invalid_request"])
    message: str = Field(description="readable by a person")
    request_id: str | None = None
    fields: list[str] | None = Field(default=None, description="the request fields at fault")


class ErrorResponse(BaseModel):
    error: ErrorBody


class SearchRequest(Strict):
    query: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, examples=["平台运营奖励累计上限"])
    top_k: int = Field(default=5, ge=1, le=50)
    doc_id: str | None = Field(default=None, max_length=200)

    @field_validator("query")
    @classmethod
    def _query(cls, v: str) -> str:
        return checked_message(v)


class SearchResult(BaseModel):
    doc_id: str
    article: str
    title: str
    text: str = Field(description="the whole section")
    score: float
    passage: str = Field(description="the clause that matched best, an exact substring of text")
    responsible_units: list[str]


class SearchResponse(BaseModel):
    results: list[SearchResult]


class EstimateRequest(Strict):
    facts: Facts = Field(examples=[{"product_category": "smart_hardware", "new_product_sales_increment_yuan": 8_000_000}])
    on_date: dt.date | None = Field(default=None, description="the date to judge by; default: the facts' application date, else today")
    program_ids: list[str] | None = Field(default=None, max_length=50, description="assess these programmes even if no fact concerns them")


class EstimateResponse(BaseModel):
    estimates: list[Estimate]
    total_ceiling_yuan: int | None
    follow_up: list[str]
    on_date: dt.date
    total_trace: list[str]
    total_steps: list[Step] = Field(default_factory=list, description="从高不重复 and the total, as typed steps")


class TurnOut(BaseModel):
    role: Literal["user", "assistant"]
    text: str
    at: str


class SessionResponse(BaseModel):
    session_id: str
    user_id: str | None
    channel: str | None
    turns: list[TurnOut]
    facts: dict[str, Any]
    fact_sources: list[FactSourceOut] = Field(default_factory=list, description="where each known fact came from")


class FeedbackRequest(Strict):
    session_id: str = Field(pattern=ID_PATTERN)
    turn: int | None = Field(default=None, ge=0, le=10_000, description="the assistant turn, from 0; null: the last")
    rating: Literal["up", "down"]
    reason: str | None = Field(default=None, max_length=1000, examples=["金额不对：我们是省级平台"])


class FeedbackOut(BaseModel):
    session_id: str
    turn: int
    rating: Literal["up", "down"]
    reason: str | None
    at: str


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    doc_number: str
    registration_number: str
    issuer: str
    issued_on: str
    printed_on: str
    publicity: str
    sections: list[str]


class DocumentsResponse(BaseModel):
    documents: list[DocumentOut]


class SectionResponse(BaseModel):
    doc_id: str
    article: str
    title: str
    text: str
    responsible_units: list[str]


class Health(BaseModel):
    status: Literal["ok"]
    documents: int
    chunks: int


# ---- the OpenAI-compatible face ------------------------------------------------------------------
class ContentPart(BaseModel):
    """`{"type": "text", "text": ...}`; other kinds (images, audio) are refused with a 400 naming the message."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(max_length=64)
    text: str | None = None


class OpenAIMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[ContentPart] | None = Field(default=None, description="a string, or a list of text parts")

    def text(self) -> str:
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        if any(part.type != "text" for part in self.content):
            raise ValueError("only text content parts are supported / 只支持文本内容")
        return "\n".join(part.text or "" for part in self.content)


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool | None = False


class ChatCompletionRequest(BaseModel):
    """OpenAI's shape; fields the assistant does not use (temperature …) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(default="changsha-policy-assistant", max_length=200)
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=100)
    stream: bool | None = False
    stream_options: StreamOptions | None = Field(default=None, description="include_usage: a last chunk with the usage")
    user: str | None = Field(default=None, max_length=128, description="the end user (honoured for keys acting for users)")
    session_id: str | None = Field(default=None, pattern=ID_PATTERN, description="extension: continue a session")


class CompletionChoice(BaseModel):
    index: int
    message: dict[str, str]
    finish_reason: str


class ChatCompletionResponse(BaseModel):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: dict[str, int]
    policy_assistant: ChatReply = Field(description="citations, estimates and facts: the /v1/chat reply")


class ModelOut(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[ModelOut]


class OpenAIErrorBody(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class OpenAIErrorResponse(BaseModel):
    error: OpenAIErrorBody
