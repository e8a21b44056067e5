"""One chat turn: extract → merge into the session's facts → retrieve → evaluate → compose → reply."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from assistant.composer import TurnContext, build_answer, citations_for, redirect, shorten
from assistant.extraction import extract
from assistant.intent import classifier_for
from assistant.language import conversation_language
from assistant.reply import ChatReply, Estimate
from assistant.scope import decide
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
ABOUT_AWARDS = {"amount", "eligibility"}  # intents whose answer lists the programmes of the article asked about


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

    @property
    def rulebook(self) -> RuleBook:
        """The rules in force: those given, else the bundled `eligibility/rules/`."""
        return self.rules or default_rules()

    def warm_up(self) -> None:
        """What the first turn would load: the searcher's models and indexes, and the intent classifier."""
        self.searcher.warm_up()
        classifier_for(self.kb, POLICY_DOC_ID)

    # ---- the public calls ---------------------------------------------------------------------
    def chat(self, message: str, session_id: str | None = None, user_id: str | None = None,
             channel: str | None = None, history: list[str] | None = None, on_delta=None) -> ChatReply:
        """One turn. `history`: earlier user messages of a stateless client (OpenAI-style), read for their facts.
        `on_delta(event, text)`: with an LLM configured, its checked stream as it comes (see assistant.llm)."""
        text = clean_message(message)
        session = self.store.load(session_id) if session_id else self.store.create(user_id, channel)
        with self.store.lock(session.session_id):
            if session_id:
                session = self.store.load(session_id)  # what an earlier turn of this session wrote
            for earlier in history or []:
                extraction = extract(earlier)
                if self._intent(earlier, extraction, True).in_scope:
                    merge(session.state, extraction)
            earlier = list(history or []) + [t.text for t in session.turns if t.role == "user"]
            reply = self._turn(session, text, channel or session.channel, earlier, on_delta)
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

    # ---- the turn -----------------------------------------------------------------------------
    def _intent(self, text: str, extraction, in_conversation: bool):
        return decide(classifier_for(self.kb, POLICY_DOC_ID).classify(text), extraction.has_facts(), in_conversation)

    def _turn(self, session: Session, text: str, channel: str | None, earlier: list[str], on_delta=None) -> ChatReply:
        extraction = extract(text)
        extraction.language = language = conversation_language(text, earlier)
        if self.llm_extractor is not None and not extraction.injection:
            from assistant.llm import fill_gaps

            fill_gaps(extraction, self.llm_extractor.extract(text))
        state = session.state
        intent = self._intent(text, extraction, bool(earlier))
        if not intent.in_scope:
            return ChatReply(session_id=session.session_id, answer=redirect(language, intent.kind), in_scope=False,
                             citations=[], estimates=[], total_ceiling_yuan=None, follow_up=[],
                             facts=_facts_dict(state.facts), language=language, intent=intent.kind)
        changed = merge(state, extraction)
        # an award turn cites the programmes' own quotes; the search is run only where its hits are used
        need_hits = not changed or extraction.procedural or self.llm is not None or intent.kind not in ABOUT_AWARDS
        hits = self.searcher.search(self._query(session, text), 5) if need_hits else []
        quiet = changed or extraction.procedural or extraction.injection or intent.kind not in ABOUT_AWARDS
        informational = [] if quiet else self._programs_of_top_hit(hits)
        assessment = evaluate(state.facts, state.facts.application_date or self.today(), rules=self.rules,
                              program_ids=informational, informational=True)
        if not assessment.estimates and not hits:
            hits = self.searcher.search(self._query(session, text), 5)
        state.asked = [name for e in assessment.estimates for name in e.missing_facts][:3]
        procedural = extraction.procedural or intent.kind == "procedure"
        ctx = TurnContext(language, hits, assessment, procedural, extraction.injection, self.kb.section,
                          self._validity(language), self._policy_sections(), intent=intent, question=text,
                          policy=self.rulebook.policy, document=self.kb.documents.get(POLICY_DOC_ID), on_date=assessment.on_date)
        citations = citations_for(ctx)
        composed = build_answer(ctx, citations)
        answer, composer = composed.text(), "deterministic"
        short = composed.short(self.wechat_chars) if channel == "wechat" else answer
        if self.llm is not None and not extraction.injection:
            phrased = self.llm.phrase(text, ctx, citations, answer, on_delta=on_delta)
            if phrased is not None:
                answer, composer = phrased, "llm"
                short = shorten(answer, self.wechat_chars) if channel == "wechat" else answer
        return ChatReply(
            session_id=session.session_id, answer=short, answer_full=answer if short != answer else None,
            in_scope=True, citations=citations,
            estimates=[Estimate.from_engine(e) for e in assessment.estimates],
            total_ceiling_yuan=assessment.total_ceiling_yuan, follow_up=composed.questions,
            facts=_facts_dict(state.facts), language=language, composer=composer, intent=intent.kind)

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
