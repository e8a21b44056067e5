"""Wire the floors together from Settings: the knowledge base, its searcher, and (later) the assistant."""

from __future__ import annotations

import os
from dataclasses import dataclass

from assistant.config import Settings
from assistant.journal import Journal
from knowledge.base import KnowledgeBase
from knowledge.embeddings import load_embedders
from knowledge.query_cache import QueryEmbeddingCache
from knowledge.retrieval import HybridSearcher


@dataclass
class Knowledge:
    kb: KnowledgeBase
    searcher: HybridSearcher


def open_knowledge(settings: Settings, ensure_corpus: bool = True, warm: bool = False) -> Knowledge:
    """Open the index in `settings.data_dir`, building it from the bundled corpus when missing or stale.

    `warm`: run one search now (the CLI's one-shot commands); a server warms up in the background instead.
    """
    kb = KnowledgeBase(settings.data_dir, load_embedders(settings.embeddings),
                       chroma_url=settings.chroma_url, collection_prefix=settings.chroma_collection)
    if ensure_corpus:
        kb.ensure_corpus()
    searcher = HybridSearcher(kb, cache=QueryEmbeddingCache(redis_url=query_cache_url(settings)))
    if warm:
        searcher.warm_up()
    return Knowledge(kb, searcher)


def query_cache_url(settings: Settings) -> str | None:
    """Where workers share query embeddings: POLICY_CACHE_URL, else the Redis of the sessions, else nowhere."""
    url = os.environ.get("POLICY_CACHE_URL") or settings.session_url or ""
    return url if url.startswith(("redis://", "rediss://", "unix://")) else None


def open_assistant(settings: Settings, knowledge: Knowledge | None = None):
    """The assistant with its session store, and an LLM composer when one is configured."""
    from assistant.sessions import open_store
    from assistant.turn import Assistant

    knowledge = knowledge or open_knowledge(settings)
    llm = extractor = None
    if settings.llm_base_url and settings.llm_model:
        from assistant.llm import LLMComposer, LLMExtractor

        args = (settings.llm_base_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout_s)
        llm, extractor = LLMComposer(*args), LLMExtractor(*args)
    store = open_store(settings.data_dir, settings.session_url, settings.session_lock_timeout_s)
    assistant = Assistant(knowledge.kb, knowledge.searcher, store, llm=llm, wechat_chars=settings.wechat_answer_chars,
                          llm_extractor=extractor, journal=Journal(settings.data_dir / "journal.sqlite3"))
    if settings.session_retention_days:  # retention applies on start too, not only when someone runs `purge`
        purge_expired(assistant, settings.session_retention_days)
    return assistant


def open_retention(settings: Settings):
    """What retention clears, without loading the knowledge base: the session store (and, later, its companions)."""
    from assistant.sessions import open_store
    from assistant.turn import Assistant

    return Assistant(None, None, open_store(settings.data_dir, settings.session_url, settings.session_lock_timeout_s),
                     journal=Journal(settings.data_dir / "journal.sqlite3"))


def purge_expired(assistant, days: int) -> int:
    import datetime as dt
    import logging

    removed = assistant.purge(dt.datetime.now(dt.UTC) - dt.timedelta(days=days))
    logging.getLogger("policy_assistant").info("retention: %d session(s) older than %d days removed", removed, days)
    return removed
