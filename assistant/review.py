"""Conversation review for the policy office: the filtered list (indexed queries) and one conversation turn by turn."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from assistant.journal import Journal, asks_to_confirm

FeedbackFilter = Literal["down", "up", "any", "none"]
MAX_PAGE = 200


@dataclass(frozen=True)
class ReviewFilter:
    since: dt.date | None = None  # conversations active on or after this day (UTC)
    until: dt.date | None = None  # … and started on or before it
    channel: str | None = None
    owner: str | None = None  # the tenant: the API key's name
    programme: str | None = None  # a program_id an estimate of the conversation concerned
    out_of_scope: bool | None = None  # some question was outside the policy
    confirm: bool | None = None  # the assistant asked something back
    feedback: FeedbackFilter | None = None
    limit: int = 50
    offset: int = 0

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if self.since:
            clauses.append("last_at >= ?")
            params.append(self.since.isoformat())
        if self.until:
            clauses.append("started_at < ?")
            params.append((self.until + dt.timedelta(days=1)).isoformat())
        if self.channel:
            clauses.append("channel = ?")
            params.append(self.channel)
        if self.owner:
            clauses.append("owner = ?")
            params.append(self.owner)
        if self.programme:
            clauses.append("session_id IN (SELECT session_id FROM journal_estimates WHERE program_id = ?)")
            params.append(self.programme)
        # written as the partial indexes are, so SQLite uses them
        if self.out_of_scope is not None:
            clauses.append("out_of_scope > 0" if self.out_of_scope else "out_of_scope = 0")
        if self.confirm is not None:
            clauses.append("confirm > 0" if self.confirm else "confirm = 0")
        clauses += {"down": ["down > 0"], "up": ["up > 0"], "any": ["(down > 0 OR up > 0)"],
                    "none": ["down = 0", "up = 0"], None: []}[self.feedback]
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


LIST_COLUMNS = ("session_id", "started_at", "last_at", "channel", "owner", "user_id", "turns", "out_of_scope", "confirm",
                "down", "up", "first_message")


def list_conversations(journal: Journal, spec: ReviewFilter) -> dict[str, Any]:
    """A page of conversations, most recent first, with the total that match."""
    where, params = spec.where()
    limit = max(1, min(MAX_PAGE, spec.limit))
    rows = journal.query(f"SELECT {', '.join(LIST_COLUMNS)} FROM journal_conversations{where} "
                         f"ORDER BY last_at DESC LIMIT ? OFFSET ?", (*params, limit, max(0, spec.offset)))
    total = journal.query(f"SELECT COUNT(*) FROM journal_conversations{where}", tuple(params))[0][0]
    items = [dict(zip(LIST_COLUMNS, row, strict=True)) for row in rows]
    programmes = _programmes_of([i["session_id"] for i in items], journal)
    for item in items:
        item["first_message"] = item["first_message"][:140]
        item["programmes"] = programmes.get(item["session_id"], [])
    return {"total": total, "limit": limit, "offset": max(0, spec.offset), "conversations": items}


def _programmes_of(session_ids: list[str], journal: Journal) -> dict[str, list[str]]:
    if not session_ids:
        return {}
    marks = ",".join("?" * len(session_ids))
    rows = journal.query(f"SELECT DISTINCT session_id, program_id FROM journal_estimates WHERE session_id IN ({marks})",
                         tuple(session_ids))
    out: dict[str, list[str]] = {}
    for session_id, program_id in rows:
        out.setdefault(session_id, []).append(program_id)
    return {k: sorted(v) for k, v in out.items()}


def filter_options(journal: Journal) -> dict[str, list[str]]:
    """The values the filters can take, for the page's drop-downs (names of keys, never keys)."""
    return {
        "channels": [r[0] for r in journal.query("SELECT DISTINCT channel FROM journal_conversations WHERE channel IS NOT NULL")],
        "owners": [r[0] for r in journal.query("SELECT DISTINCT owner FROM journal_conversations WHERE owner IS NOT NULL")],
        "programmes": [r[0] for r in journal.query("SELECT DISTINCT program_id FROM journal_estimates ORDER BY program_id")],
    }


def conversation(journal: Journal, session_id: str) -> dict[str, Any] | None:
    """One conversation turn by turn: the person's words, the answer, facts with sources, citations,
    estimates with steps and trace, the composer, feedback. None when the journal has no turn of it."""
    turns = journal.turns(session_id)
    if not turns:
        return None
    feedback = journal.feedback(session_id)
    expected = journal.expected(session_id)
    out_turns, previous_facts = [], {}
    for record in turns:
        reply = record.reply
        facts = reply.get("facts") or {}
        sources = reply.get("fact_sources")
        out_turns.append({
            "turn": record.turn, "at": record.at, "message": record.message,
            "answer": reply.get("answer_full") or reply.get("answer", ""),
            "in_scope": reply.get("in_scope", True), "asks_to_confirm": asks_to_confirm(reply),
            "composer": reply.get("composer"), "language": reply.get("language"),
            "citations": reply.get("citations") or [], "estimates": reply.get("estimates") or [],
            "total_ceiling_yuan": reply.get("total_ceiling_yuan"), "follow_up": reply.get("follow_up") or [],
            "confirm": reply.get("confirm"), "facts": facts,
            "fact_sources": labelled(sources if sources is not None else changed_facts(previous_facts, facts, record)),
            "fact_sources_exact": sources is not None,
            "feedback": [f.__dict__ for f in feedback if f.turn == record.turn],
        })
        previous_facts = facts
    last = turns[-1]
    return {"session_id": session_id, "channel": last.channel, "owner": last.owner, "user_id": last.user_id,
            "started_at": turns[0].at, "last_at": last.at, "turns": out_turns,
            "expected": expected[0].__dict__ if expected else None}


def fact_label(name: str) -> str:
    """The Chinese label of a fact (新产品销售增量（元）), for people; the name itself when the engine has none."""
    from eligibility.facts import field_info

    try:
        return field_info(name)[0]
    except KeyError:
        return name


def labelled(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**s, "label": s.get("label") or fact_label(str(s.get("fact", "")))} for s in sources]


def flatten_facts(facts: dict[str, Any]) -> dict[tuple[str, int | None], Any]:
    """(fact, project index or None) → value; projects are the `projects` list of the facts."""
    flat: dict[tuple[str, int | None], Any] = {}
    for name, value in facts.items():
        if name == "projects" and isinstance(value, list):
            for i, project in enumerate(value):
                for key, inner in (project or {}).items():
                    flat[(key, i)] = inner
        else:
            flat[(name, None)] = value
    return flat


def changed_facts(before: dict[str, Any], after: dict[str, Any], record) -> list[dict[str, Any]]:
    """Where the reply holds no `fact_sources`: the facts this turn added or changed, sourced to the whole message."""
    old = flatten_facts(before)
    return [{"fact": fact, "project": project, "value": value, "turn": record.turn, "quote": record.message,
             "derivation": None} for (fact, project), value in flatten_facts(after).items() if old.get((fact, project)) != value]
