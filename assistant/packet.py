"""The case packet: one conversation handed over to the 12345 hotline or the responsible unit.

Built from the session and the journal's last reply (what the person was told), so every figure in it is the
engine's and every quote the policy's; without a journal entry, the session's facts are assessed again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from assistant.journal import Journal
from assistant.review import changed_facts, labelled
from assistant.sessions import Session


class PacketEstimate(BaseModel):
    program_id: str
    article: str
    title: str
    project: str = ""
    status: str
    ceiling_yuan: int | None
    cap_yuan: int | None
    counted: bool = True
    responsible_unit: str = ""
    policy_quote: str = Field("", description="the policy's sentence the programme rests on")
    quotes: list[str] = Field(default_factory=list, description="the reply's citations of this article")
    trace: list[str]
    steps: list[dict[str, Any]] = Field(default_factory=list, description="the engine's typed steps, when it gave them")
    missing: list[str] = Field(default_factory=list)


class ResponsibleUnit(BaseModel):
    unit: str
    articles: list[str]
    programmes: list[str]


class PacketTurn(BaseModel):
    role: str
    text: str
    at: str


class CasePacket(BaseModel):
    session_id: str
    generated_at: str
    channel: str | None
    user_id: str | None
    facts: dict[str, Any]
    fact_sources: list[dict[str, Any]] = Field(description="each fact with the person's words it came from")
    estimates: list[PacketEstimate]
    total_ceiling_yuan: int | None
    open_questions: list[str] = Field(description="what the assistant still needed to know")
    responsible_units: list[ResponsibleUnit]
    conversation: list[PacketTurn]
    based_on: str = Field(description="journal: the last reply as given; engine: the session's facts assessed now")


def build_packet(session: Session, journal: Journal | None, rulebook, assess=None) -> CasePacket:
    """`assess(facts) -> Assessment` is used only when the journal holds no reply of this session."""
    records = journal.turns(session.session_id) if journal is not None else []
    programs = {p.id: p for p in rulebook.programs}
    if records:
        reply, based_on = records[-1].reply, "journal"
        sources = reply.get("fact_sources")
        if sources is None:
            sources, before = [], {}
            for record in records:
                sources += changed_facts(before, record.reply.get("facts") or {}, record)
                before = record.reply.get("facts") or {}
    else:
        facts = session.state.facts
        assessment = assess(facts)
        reply = {"facts": facts.model_dump(mode="json", exclude_none=True, exclude_defaults=True), "citations": [],
                 "estimates": [e.model_dump(mode="json") for e in assessment.estimates],
                 "total_ceiling_yuan": assessment.total_ceiling_yuan, "follow_up": assessment.follow_up}
        sources, based_on = [], "engine"
    estimates = []
    for e in reply.get("estimates") or []:
        program = programs.get(e.get("program_id"))
        quotes = [c["quote"] for c in reply.get("citations") or [] if str(c.get("article")) == str(e.get("article"))]
        estimates.append(PacketEstimate(
            program_id=e["program_id"], article=str(e["article"]), title=e.get("title", ""), project=e.get("project", ""),
            status=e["status"], ceiling_yuan=e.get("ceiling_yuan"), cap_yuan=e.get("cap_yuan"), counted=e.get("counted", True),
            responsible_unit=e.get("responsible_unit") or (program.responsible_unit if program else ""),
            policy_quote=e.get("quote") or (program.quote if program else ""), quotes=list(dict.fromkeys(quotes)),
            trace=e.get("trace") or [], steps=e.get("steps") or [], missing=e.get("missing") or []))
    units: dict[str, ResponsibleUnit] = {}
    for e in estimates:
        for unit in filter(None, (u.strip() for u in e.responsible_unit.replace("，", "、").split("、"))):
            entry = units.setdefault(unit, ResponsibleUnit(unit=unit, articles=[], programmes=[]))
            if e.article not in entry.articles:
                entry.articles.append(e.article)
            if e.title not in entry.programmes:
                entry.programmes.append(e.title)
    open_questions = list(dict.fromkeys([*(reply.get("follow_up") or []),
                                         *(f"尚需：{m}" for e in estimates for m in e.missing if not reply.get("follow_up"))]))
    return CasePacket(
        session_id=session.session_id, generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        channel=session.channel, user_id=session.user_id, facts=reply.get("facts") or {}, fact_sources=labelled(sources),
        estimates=estimates, total_ceiling_yuan=reply.get("total_ceiling_yuan"), open_questions=open_questions,
        responsible_units=list(units.values()),
        conversation=[PacketTurn(role=t.role, text=t.text, at=t.at) for t in session.turns], based_on=based_on)
