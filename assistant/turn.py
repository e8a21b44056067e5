"""One chat turn: extract → merge into the session's facts → retrieve → evaluate → compose → reply."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from assistant.composer import TurnContext, build_answer, citations_for, redirect, shorten
from assistant.extraction import extract
from assistant.intent import classifier_for
from assistant.journal import Feedback, Journal, Rating, TurnRecord
from assistant.language import conversation_language
from assistant.reply import ChatReply, Estimate, FactSourceOut
from assistant.scope import decide
from assistant.sessions import Session, SessionStore
from assistant.state import ConversationState, merge
from assistant.understanding.lexicon import Lexicon, default_lexicon, load_lexicon
from assistant.understood import understood_lines
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
                 wechat_chars: int = 300, llm_extractor=None, journal: Journal | None = None,
                 lexicon: Lexicon | None = None) -> None:
        self.kb, self.searcher, self.store, self.rules = kb, searcher, store, rules
        self.llm, self.today, self.wechat_chars = llm, today, wechat_chars
        self.llm_extractor = llm_extractor
        # stores holding enterprises' data that retention must also clear (e.g. a per-turn review journal):
        # each is called with the cutoff and returns how many records it removed
        self.purge_hooks: list[Callable[[dt.datetime], int]] = []
        self.journal = journal
        if journal is not None:  # the review journal holds enterprises' words too: retention clears it as well
            self.purge_hooks.append(lambda cutoff: journal.purge(cutoff.isoformat()))
        # how people name the facts: the bundled lexicon, or one loaded beside later rules (no code per rule)
        self.lexicon = lexicon or (default_lexicon() if rules is None else load_lexicon(rules))

    @property
    def rulebook(self) -> RuleBook:
        """The rules in force: those given, else the bundled `eligibility/rules/`."""
        return self.rules or default_rules()

    def warm_up(self) -> None:
        """What the first turn would load: the searcher's models and indexes, the intent and amount-role classifiers."""
        from assistant.understanding.roles import classifier_for as roles_for

        self.searcher.warm_up()
        classifier_for(self.kb, POLICY_DOC_ID)
        roles_for(self.lexicon)

    # ---- the public calls ---------------------------------------------------------------------
    def chat(self, message: str, session_id: str | None = None, user_id: str | None = None,
             channel: str | None = None, history: list[str] | None = None, owner: str | None = None,
             on_delta=None) -> ChatReply:
        """One turn. `history`: earlier user messages of a stateless client (OpenAI-style), read for their facts.
        `owner`: the name of the API key a new session will belong to (ownership is checked by the API).
        `on_delta(event, text)`: with an LLM configured, its checked stream as it comes (see assistant.llm)."""
        text = clean_message(message)
        session = self.store.load(session_id) if session_id else self.store.create(user_id, channel, owner=owner)
        with self.store.lock(session.session_id):
            if session_id:
                session = self.store.load(session_id)  # what an earlier turn of this session wrote
            for earlier in history or []:
                extraction = extract(earlier, self.lexicon, self.rulebook)
                if self._intent(earlier, extraction, True).in_scope:
                    merge(session.state, extraction, self.rulebook, self.today().year, self.lexicon)
            earlier = list(history or []) + [t.text for t in session.turns if t.role == "user"]
            reply = self._turn(session, text, channel or session.channel, earlier, on_delta)
            self.store.append_turn(session, text, reply.answer_full or reply.answer)
            if self.journal is not None:
                self.journal.record(TurnRecord(
                    session.session_id, _assistant_turns(session) - 1, session.turns[-1].at, channel or session.channel,
                    session.owner, session.user_id, text, reply.model_dump(mode="json")))
        return reply

    def feedback(self, session_id: str, turn: int | None, rating: Rating, reason: str | None = None) -> Feedback:
        """👍/👎 on one answer (the assistant turn, from 0; None: the last), kept for the staff's review."""
        session = self.store.load(session_id)
        answered = _assistant_turns(session)
        if answered == 0:
            raise InputError("this session has no answer yet / 该会话还没有回答")
        index = answered - 1 if turn is None else turn
        if not 0 <= index < answered:
            raise InputError(f"turn must be between 0 and {answered - 1} / 回答序号应在 0 到 {answered - 1} 之间")
        if self.journal is None:
            raise InputError("feedback is not kept by this server / 本服务未启用反馈记录")
        return self.journal.add_feedback(session_id, index, rating, (reason or "").strip() or None)

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
    def _intent(self, text: str, extraction, in_conversation: bool):
        return decide(classifier_for(self.kb, POLICY_DOC_ID).classify(text), extraction.has_facts(), in_conversation)

    def _turn(self, session: Session, text: str, channel: str | None, earlier: list[str], on_delta=None) -> ChatReply:
        extraction = extract(text, self.lexicon, self.rulebook)
        extraction.language = language = conversation_language(text, earlier)
        if self.llm_extractor is not None and not extraction.injection:
            from assistant.llm import fill_gaps

            fill_gaps(extraction, self.llm_extractor.extract(text))
        state = session.state
        intent = self._intent(text, extraction, bool(earlier) or bool(state.confirm))
        if not intent.in_scope and not state.confirm:
            return ChatReply(session_id=session.session_id, answer=redirect(language, intent.kind), in_scope=False,
                             citations=[], estimates=[], total_ceiling_yuan=None, follow_up=[],
                             facts=_facts_dict(state.facts), language=language, intent=intent.kind)
        changed = merge(state, extraction, self.rulebook, self.today().year, self.lexicon)
        # an award turn cites the programmes' own quotes; the search is run only where its hits are used
        need_hits = not changed or extraction.procedural or self.llm is not None or intent.kind not in ABOUT_AWARDS
        hits = self.searcher.search(self._query(session, text), 5) if need_hits else []
        quiet = changed or extraction.procedural or extraction.injection or intent.kind not in ABOUT_AWARDS
        informational = [] if quiet else self._programs_of_top_hit(hits)
        informational += [pid for p in state.facts.projects for pid in p.awards_received if pid not in informational]
        assessment = evaluate(state.facts, state.facts.application_date or self.today(), rules=self.rules,
                              program_ids=informational, informational=True)
        if not assessment.estimates and not hits:
            hits = self.searcher.search(self._query(session, text), 5)
        state.asked = [name for e in assessment.estimates for name in e.missing_facts][:3]
        steered = extraction.injection or bool(extraction.claims)
        procedural = extraction.procedural or intent.kind == "procedure"
        ctx = TurnContext(language, hits, assessment, procedural, steered, self.kb.section,
                          self._validity(language), self._policy_sections(), intent=intent, question=text,
                          policy=self.rulebook.policy, document=self.kb.documents.get(POLICY_DOC_ID), on_date=assessment.on_date)
        citations = citations_for(ctx)
        composed = build_answer(ctx, citations)
        confirm = confirm_questions(state, language)
        understood = understood_lines(state.sources, state.turn - 1, language)
        answer, composer = "\n".join([*confirm, composed.text(), *understood]), "deterministic"
        short = answer
        if channel == "wechat":  # what to confirm first, then the direct answer and the figure for this question
            head = "\n".join(confirm)
            short = "\n".join(x for x in (head, composed.short(self.wechat_chars - len(head) - 1 if head else self.wechat_chars)) if x)
        if self.llm is not None and not steered:
            phrased = self.llm.phrase(text, ctx, citations, answer, on_delta=on_delta)
            if phrased is not None:
                answer, composer = phrased, "llm"
                short = shorten(answer, self.wechat_chars) if channel == "wechat" else answer
        return ChatReply(
            session_id=session.session_id, answer=short, answer_full=answer if short != answer else None,
            in_scope=True, citations=citations,
            estimates=[Estimate.from_engine(e) for e in assessment.estimates],
            total_ceiling_yuan=assessment.total_ceiling_yuan, follow_up=(confirm + composed.questions)[:3],
            facts=_facts_dict(state.facts), language=language, composer=composer, intent=intent.kind,
            fact_sources=[FactSourceOut(**s.model_dump()) for s in state.sources], confirm=confirm)

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
        return [p.id for p in self.rulebook.programs if p.article == hits[0].article]


def confirm_questions(state: ConversationState, language: str) -> list[str]:
    """"您说的“400万”是平台年度运营费用吗？": an amount is used only once the person confirms what it is."""
    from eligibility.facts import label

    out = []
    for w in state.confirm:
        name = label(w.fact, language).removesuffix("（元）").removesuffix(" (yuan)")
        out.append(f"您说的“{w.quote}”中的 {w.value:,} 元是{name}吗？请回复“是”，或告诉我它是什么费用。" if language == "zh" else
                   f"Is the {w.value:,} yuan in “{w.quote}” the {name}? Please answer yes, or tell me what it is.")
    return out


def _assistant_turns(session: Session) -> int:
    return sum(t.role == "assistant" for t in session.turns)


def _facts_dict(facts: Facts) -> dict:
    return facts.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
