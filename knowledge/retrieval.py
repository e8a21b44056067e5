"""Hybrid retrieval: glossary-expanded query → BM25 (words, bigrams) + dense (each embedder) → RRF → sections.

Reciprocal rank fusion needs no score calibration between the lists. Titles are in every chunk's indexed
text already; on top, a query that names an article — by its title (支持垂类大模型研发) or its number
(第二条, 二、) — puts that article first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from knowledge.base import KnowledgeBase
from knowledge.glossary import Glossary, load_glossary
from knowledge.keyword import KeywordIndex
from knowledge.models import Hit
from knowledge.parser import cn_to_int
from knowledge.tokenize import bigrams, words

RRF_K = 60
CANDIDATES = 40
ARTICLE_REF = re.compile(r"第\s*([一二三四五六七八九十百\d]+)\s*条|(?<![\w])([一二三四五六七八九十]+)、|article\s+(\d+)", re.I)


@dataclass(frozen=True)
class FusionWeights:
    words: float = 1.0
    bigrams: float = 1.0
    dense: float = 1.0  # each embedder
    title: float = 1.0


class HybridSearcher:
    def __init__(self, kb: KnowledgeBase, glossary: Glossary | None = None,
                 weights: FusionWeights = FusionWeights()) -> None:
        self.kb = kb
        self.glossary = glossary or load_glossary()
        self.weights = weights
        self._revision = -1
        self._words = KeywordIndex(words)
        self._bigrams = KeywordIndex(bigrams)
        self._ids: list[str] = []
        self._doc_of: np.ndarray = np.array([])

    def _refresh(self) -> None:
        if self._revision == self.kb.revision and self._ids:
            return
        self._ids = list(self.kb.chunks)
        self._words.build(self._ids, [self.kb.tokens(i)["words"] for i in self._ids])
        self._bigrams.build(self._ids, [self.kb.tokens(i)["bigrams"] for i in self._ids])
        self._doc_of = np.array([self.kb.chunks[i].doc_id for i in self._ids])
        self._revision = self.kb.revision

    def warm_up(self) -> None:
        """Load what the first search would load (word segmenter, model weights, keyword indexes)."""
        self.search("人工智能产业政策奖励", 1)

    def search(self, query: str, top_k: int = 5, doc_id: str | None = None) -> list[Hit]:
        """Sections best first, each with the chunk that matched best."""
        self._refresh()
        query = (query or "").strip()
        if not query or not self._ids:
            return []
        expanded = self.glossary.expand(query)
        allowed = (self._doc_of == doc_id) if doc_id else None
        ranked_lists: list[tuple[float, list[tuple[str, float]]]] = [
            (self.weights.words, self._words.search(expanded, CANDIDATES, allowed)),
            (self.weights.bigrams, self._bigrams.search(expanded, CANDIDATES, allowed)),
        ]
        for index in self.kb.dense:
            vector = index.embedder.embed_query(expanded)
            ranked_lists.append((self.weights.dense, index.search(vector, CANDIDATES, doc_id)))
        fused: dict[str, float] = defaultdict(float)
        for weight, ranked in ranked_lists:
            for rank, (chunk_id, _score) in enumerate(ranked):
                fused[chunk_id] += weight / (RRF_K + rank + 1)
        return self._sections(fused, expanded, top_k)

    def _sections(self, fused: dict[str, float], expanded: str, top_k: int) -> list[Hit]:
        best: dict[tuple[str, str], tuple[float, str]] = {}
        for chunk_id, score in fused.items():
            chunk = self.kb.chunks.get(chunk_id)
            if chunk is None:  # a chunk the dense store still had for a document removed meanwhile
                continue
            key = (chunk.doc_id, chunk.section_id)
            if key not in best or score > best[key][0]:
                best[key] = (score, chunk_id)
        named = {str(cn_to_int(next(g for g in m.groups() if g))) for m in ARTICLE_REF.finditer(expanded)}
        hits = []
        for (doc_id, section_id), (score, chunk_id) in best.items():
            section = self.kb.section(doc_id, section_id)
            if section is None:
                continue
            if section_id in named or (len(section.title) >= 4 and section.title in expanded):
                score += self.weights.title * 2 / (RRF_K + 1)  # the person named this article
            chunk = self.kb.chunks[chunk_id]
            hits.append(Hit(doc_id=doc_id, article=section_id, title=section.title, text=section.text,
                            score=round(score, 6), passage=chunk.text, start=chunk.start, end=chunk.end,
                            responsible_units=list(section.responsible_units)))
        hits.sort(key=lambda h: -h.score)
        return hits[:top_k]
