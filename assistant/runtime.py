"""Wire the floors together from Settings: the knowledge base, its searcher, and (later) the assistant."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.config import Settings
from knowledge.base import KnowledgeBase
from knowledge.embeddings import load_embedders
from knowledge.retrieval import HybridSearcher


@dataclass
class Knowledge:
    kb: KnowledgeBase
    searcher: HybridSearcher


def open_knowledge(settings: Settings, ensure_corpus: bool = True) -> Knowledge:
    """Open the index in `settings.data_dir`, building it from the bundled corpus when missing or stale."""
    kb = KnowledgeBase(settings.data_dir, load_embedders(settings.embeddings),
                       chroma_url=settings.chroma_url, collection_prefix=settings.chroma_collection)
    if ensure_corpus:
        kb.ensure_corpus()
    return Knowledge(kb, HybridSearcher(kb))
