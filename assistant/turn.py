"""One chat turn: extract → merge into the session's facts → retrieve → evaluate → compose → reply."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from assistant.composer import TurnContext, citations_for, compose, redirect, shorten
from assistant.extraction import extract
from assistant.reply import ChatReply, Estimate
from assistant.scope import in_scope
from assistant.sessions import Session, SessionStore
from assistant.state import merge
from eligibility.engine import Assessment, default_rules, evaluate
from eligibility.facts import Facts
from eligibility.rules import RuleBook
from knowledge.base import KnowledgeBase
from knowledge.retrieval import HybridSearcher

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 2000
POLICY_DOC_ID = "changsha-ai-2025"


class InputError(ValueError):
    """A message the assistant will not take, with a reason for a person."""


def clean_message(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    if not isinstance(message, str):
        raise InputError("message must be a string / 消息必须是文本")
    text = message.replace("\x00", "").strip()
    if not text:
        raise InputError("message is empty / 消息不能为空")
    if len(text) > limit:
        raise InputError(f"message is longer than {limit} characters / 消息超过 {limit} 个字符")
    return text


class Assistant:
    def __init__(self, kb: KnowledgeBase, searcher: HybridSearcher, store: SessionStore,
                 rules: RuleBook | None = None, llm=None, today: Callable[[], dt.date] = dt.date.today,
                 wechat_chars: int = 300, llm_extractor=None) -> None:
        self.kb, self.searcher, self.store, self.rules = kb, searcher, store, rules
        self.llm, self.today, self.wechat_chars = llm, today, wechat_chars
        self.llm_extractor = llm_extractor
        # stores holding enterprises' data that retention must also clear (e.g. a per-turn review journal):
        # each is called with the cutoff and returns how many records it removed
        self.purge_hooks: list[Callable[[dt.datetime], int]] = []

    @property
    def rulebook(self) -> RuleBook:
        """The rules in force: those given, else the bundled `eligibility/rules/`."""
        return self.rules or default_rules()

    # ---- the public calls ---------------------------------------------------------------------
    def chat(self, message: str, session_id: str | None = None, user_id: str | None = None,
             channel: str | None = None, history: list[str] | None = None, owner: str | None = None) -> ChatReply:
        """One turn. `history`: earlier user messages of a stateless client (OpenAI-style), read for their facts.
        `owner`: the name of the API key a new session will belong to (ownership is checked by the API)."""
        text = clean_message(message)
        session = self.store.load(session_id) if session_id else self.store.create(user_id, channel, owner=owner)
        with self.store.lock(session.session_id):
            if session_id:
                session = self.store.load(session_id)  # what an earlier turn of this session wrote
            for earlier in history or []:
                extraction = extract(earlier)
                if in_scope(earlier, extraction.has_facts()):
                    merge(session.state, extraction)
            reply = self._turn(session, text, channel or session.channel)
            self.store.append_turn(session, text, reply.answer_full or reply.answer)
        return reply

    def estimate(self, facts: Facts, on_date: dt.date | None = None, program_ids: list[str] | None = None) -> Assessment:
        return evaluate(facts, on_date or facts.application_date or self.today(), rules=self.rules, program_ids=program_ids)

    def correct_facts(self, session_id: str, facts: Facts) -> Assessment:
        """Replace a session's facts (a person corrected what we understood) and assess them again."""
        with self.store.lock(session_id):
            session = self.store.load(session_id)
            session.state.facts = facts
            session.state.last_amount = None
            self.store.save_state(session)
        return self.estimate(facts)

    def purge(self, older_than: dt.datetime) -> int:
        """Retention: remove sessions (and whatever the purge hooks hold) last written before `older_than`."""
        return self.store.purge(older_than) + sum(hook(older_than) for hook in self.purge_hooks)

    # ---- the turn -----------------------------------------------------------------------------
    def _turn(self, session: Session, text: str, channel: str | None) -> ChatReply:
        extraction = extract(text)
        if self.llm_extractor is not None and not extraction.injection:
            from assistant.llm import fill_gaps

            fill_gaps(extraction, self.llm_extractor.extract(text))
        state = session.state
        if not in_scope(text, extraction.has_facts()):
            return ChatReply(session_id=session.session_id, answer=redirect(extraction.language), in_scope=False,
                             citations=[], estimates=[], total_ceiling_yuan=None, follow_up=[],
                             facts=_facts_dict(state.facts), language=extraction.language)
        changed = merge(state, extraction)
        # an award turn cites the programmes' own quotes; the search is run only where its hits are used
        need_hits = not changed or extraction.procedural or self.llm is not None
        hits = self.searcher.search(self._query(session, text), 5) if need_hits else []
        quiet = changed or extraction.procedural or extraction.injection
        informational = [] if quiet else self._programs_of_top_hit(hits)
        assessment = evaluate(state.facts, state.facts.application_date or self.today(), rules=self.rules,
                              program_ids=informational, informational=True)
        if not assessment.estimates and not hits:
            hits = self.searcher.search(self._query(session, text), 5)
        state.asked = [name for e in assessment.estimates for name in e.missing_facts][:3]
        ctx = TurnContext(extraction.language, hits, assessment, extraction.procedural, extraction.injection,
                          self.kb.section, self._validity(extraction.language), self._policy_sections())
        citations = citations_for(ctx)
        answer = compose(ctx, citations)
        composer = "deterministic"
        if self.llm is not None and not extraction.injection:
            phrased = self.llm.phrase(text, ctx, citations, answer)
            if phrased is not None:
                answer, composer = phrased, "llm"
        short = shorten(answer, self.wechat_chars) if channel == "wechat" else answer
        return ChatReply(
            session_id=session.session_id, answer=short, answer_full=answer if short != answer else None,
            in_scope=True, citations=citations,
            estimates=[Estimate.from_engine(e) for e in assessment.estimates],
            total_ceiling_yuan=assessment.total_ceiling_yuan, follow_up=assessment.follow_up[:3],
            facts=_facts_dict(state.facts), language=extraction.language, composer=composer)

    def _policy_sections(self):
        doc = self.kb.documents.get(POLICY_DOC_ID)
        return doc.sections if doc else []

    def _validity(self, language: str) -> str:
        v = self.rulebook.policy.validity
        if language == "zh":
            return f"按{v.basis}，有效期为 {v.starts} 至 {v.ends}。"
        return f"Taking the publication date as {v.starts}, the policy is valid from {v.starts} to {v.ends} (three years)."

    def _query(self, session: Session, text: str) -> str:
        """A short answer ("60万元") is searched together with the question it answers."""
        if len(text) < 12 and session.turns:
            previous = next((t.text for t in reversed(session.turns) if t.role == "user"), "")
            return f"{previous} {text}"
        return text

    def _programs_of_top_hit(self, hits) -> list[str]:
        """With no facts to go on, the programmes of the article the question is about, for reference."""
        if not hits or hits[0].doc_id != POLICY_DOC_ID:
            return []
        return [p.id for p in self.rulebook.policy.programs if p.article == hits[0].article]


def _facts_dict(facts: Facts) -> dict:
    return facts.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
