"""Hybrid retrieval: glossary-expanded query → ranked lists → weighted reciprocal rank fusion by section.

The lists: BM25 over the chunks (jieba words, character bigrams), each dense model over the chunks, and the
same three over the sections' evidence phrases (`sections.yaml`: what each programme is about). Every list is
turned into a ranking of sections (a section ranks where its best chunk or phrase does) and the rankings are
fused with the weights in `fusion.yaml`, chosen on the tuning split of `eval/` (benchmarks/tune_retrieval.py).
Reciprocal rank fusion needs no score calibration between the lists. A list whose weight is 0 is not computed
(a dense model at weight 0 costs no query embedding). On top, a query that names an article — by its title
(支持垂类大模型研发) or its number (第二条, 二、) — puts that article first.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from knowledge.base import KnowledgeBase
from knowledge.evidence import SectionEvidence, load_phrases
from knowledge.glossary import Glossary, load_glossary
from knowledge.keyword import KeywordIndex
from knowledge.models import Hit
from knowledge.parser import cn_to_int
from knowledge.query_cache import QueryEmbeddingCache
from knowledge.tokenize import bigrams, words

RRF_K = 60
CANDIDATES = 40
FUSION_PATH = Path(__file__).with_name("fusion.yaml")
IN_MEMORY_MAX_CHUNKS = 200_000  # up to this many chunks a dense search is one matrix product (≈ 300 MB at 384 dims)
ARTICLE_REF = re.compile(r"第\s*([一二三四五六七八九十百\d]+)\s*条|(?<![\w])([一二三四五六七八九十]+)、|article\s+(\d+)", re.I)
Key = tuple[str, str]  # (doc_id, section_id)


@dataclass(frozen=True)
class FusionWeights:
    words: float = 1.0
    bigrams: float = 1.0
    dense: dict[str, float] = field(default_factory=dict)  # per embedder name; a name not listed: 1.0
    evidence_words: float = 0.0
    evidence_bigrams: float = 0.0
    evidence_dense: dict[str, float] = field(default_factory=dict)  # per embedder name; a name not listed: 1.0
    title: float = 1.0
    rrf_k: int = RRF_K
    dense_query: str = "expanded"  # what the dense models embed: the glossary-expanded query, or the "raw" one (shorter)

    def dense_weight(self, name: str) -> float:
        return self.dense.get(name, 1.0)

    def evidence_weight(self, name: str) -> float:
        return self.evidence_dense.get(name, 1.0)


@lru_cache(maxsize=4)
def load_weights(path: Path = FUSION_PATH) -> FusionWeights:
    if not path.exists():
        return FusionWeights()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    known = {f.name for f in fields(FusionWeights)}
    return FusionWeights(**{k: v for k, v in data.items() if k in known})


@dataclass
class RankedList:
    name: str
    weight: float
    sections: list[Key]
    chunks: list[str] = field(default_factory=list)  # chunk ids best first, where the list is over chunks


class HybridSearcher:
    def __init__(self, kb: KnowledgeBase, glossary: Glossary | None = None, weights: FusionWeights | None = None,
                 cache: QueryEmbeddingCache | None = None, evidence_path: Path | None = None) -> None:
        self.kb = kb
        self.glossary = glossary or load_glossary()
        self.weights = weights or load_weights()
        self.cache = cache or QueryEmbeddingCache()
        self._evidence_path = evidence_path
        self._lock = threading.Lock()
        self._revision = -1
        self._words = KeywordIndex(words)
        self._bigrams = KeywordIndex(bigrams)
        self._ids: list[str] = []
        self._doc_of: np.ndarray = np.array([])
        self._evidence: SectionEvidence | None = None
        self._memory: list[InMemoryDense | None] = []

    def _refresh(self) -> None:
        if self._revision == self.kb.revision and self._ids:
            return
        with self._lock:
            if self._revision == self.kb.revision and self._ids:
                return
            ids = list(self.kb.chunks)
            self._words.build(ids, [self.kb.tokens(i)["words"] for i in ids])
            self._bigrams.build(ids, [self.kb.tokens(i)["bigrams"] for i in ids])
            self._doc_of = np.array([self.kb.chunks[i].doc_id for i in ids])
            phrases = [p for p in load_phrases(*([self._evidence_path] if self._evidence_path else []))
                       if self.kb.section(p.doc_id, p.section_id) is not None]
            self._memory = [InMemoryDense(*index.vectors()) if len(ids) <= IN_MEMORY_MAX_CHUNKS else None
                            for index in self.kb.dense]
            self._evidence = SectionEvidence(phrases, [d.embedder for d in self.kb.dense], self.kb.data_dir / "evidence")
            self._ids = ids
            self._revision = self.kb.revision

    def warm_up(self) -> None:
        """Load what the first search would load (word segmenter, model weights, keyword indexes)."""
        self.search("人工智能产业政策奖励", 1)

    def search(self, query: str, top_k: int = 5, doc_id: str | None = None) -> list[Hit]:
        """Sections best first, each with the chunk that matched best."""
        query = (query or "").strip()
        if not query:
            return []
        self._refresh()
        if not self._ids:
            return []
        expanded = self.glossary.expand(query)
        return self.fuse(self.ranked_lists(expanded, doc_id, raw=query), expanded, top_k)

    def ranked_lists(self, expanded: str, doc_id: str | None = None, every: bool = False, raw: str = "") -> list[RankedList]:
        """Every list with a weight (`every`: also those at weight 0, for tuning)."""
        w = self.weights
        dense_text = raw if raw and w.dense_query == "raw" else expanded
        allowed = (self._doc_of == doc_id) if doc_id else None
        out: list[RankedList] = []
        for name, weight, index in (("words", w.words, self._words), ("bigrams", w.bigrams, self._bigrams)):
            if weight or every:
                out.append(self._chunk_list(name, weight, [c for c, _ in index.search(expanded, CANDIDATES, allowed)]))
        evidence = self._evidence
        if evidence is not None and (w.evidence_words or w.evidence_bigrams or every):
            by_words, by_bigrams = evidence.keyword(expanded, doc_id)
            out.append(RankedList("evidence_words", w.evidence_words, by_words))
            out.append(RankedList("evidence_bigrams", w.evidence_bigrams, by_bigrams))
        for n, index in enumerate(self.kb.dense):
            name = getattr(index.embedder, "name", f"dense{n}")
            on_chunks, on_evidence = w.dense_weight(name), w.evidence_weight(name)
            if not (on_chunks or on_evidence or every):
                continue
            vector = self.cache.embed_query(index.embedder, dense_text)
            if on_chunks or every:
                memory = self._memory[n] if n < len(self._memory) else None
                found = memory.search(vector, CANDIDATES, doc_id, self.kb) if memory else \
                    [c for c, _ in index.search(vector.tolist(), CANDIDATES, doc_id)]
                out.append(self._chunk_list(f"dense:{name}", on_chunks, found))
            if evidence is not None and (on_evidence or every):
                out.append(RankedList(f"evidence:{name}", on_evidence, evidence.dense(n, vector, doc_id)))
        return out

    def _chunk_list(self, name: str, weight: float, chunk_ids: list[str]) -> RankedList:
        sections: dict[Key, None] = {}
        kept = []
        for chunk_id in chunk_ids:
            chunk = self.kb.chunks.get(chunk_id)
            if chunk is None:  # a chunk the dense store still had for a document removed meanwhile
                continue
            kept.append(chunk_id)
            sections.setdefault((chunk.doc_id, chunk.section_id), None)
        return RankedList(name, weight, list(sections), kept)

    def fuse(self, lists: list[RankedList], expanded: str, top_k: int, weights: dict[str, float] | None = None) -> list[Hit]:
        """Weighted RRF over section rankings; the passage is the chunk with the best fused chunk score."""
        k = self.weights.rrf_k
        score: dict[Key, float] = defaultdict(float)
        chunk_score: dict[str, float] = defaultdict(float)
        for ranked in lists:
            weight = weights.get(ranked.name, 0.0) if weights is not None else ranked.weight
            if not weight:
                continue
            for rank, key in enumerate(ranked.sections):
                score[key] += weight / (k + rank + 1)
            for rank, chunk_id in enumerate(ranked.chunks):
                chunk_score[chunk_id] += weight / (k + rank + 1)
        named = {str(cn_to_int(next(g for g in m.groups() if g))) for m in ARTICLE_REF.finditer(expanded)}
        title_weight = weights.get("title", 0.0) if weights is not None else self.weights.title
        best_chunk: dict[Key, tuple[float, str]] = {}
        for chunk_id, s in chunk_score.items():
            chunk = self.kb.chunks[chunk_id]
            key = (chunk.doc_id, chunk.section_id)
            if key not in best_chunk or s > best_chunk[key][0]:
                best_chunk[key] = (s, chunk_id)
        hits = []
        for (doc_id, section_id), s in score.items():
            section = self.kb.section(doc_id, section_id)
            if section is None:
                continue
            if section_id in named or (len(section.title) >= 4 and section.title in expanded):
                s += title_weight * 2 / (k + 1)  # the person named this article
            chunk_id = best_chunk.get((doc_id, section_id), (0.0, ""))[1]
            chunk = self.kb.chunks.get(chunk_id) or self._first_chunk(doc_id, section_id)
            hits.append(Hit(doc_id=doc_id, article=section_id, title=section.title, text=section.text,
                            score=round(s, 6), passage=chunk.text if chunk else section.text[:100],
                            start=chunk.start if chunk else 0, end=chunk.end if chunk else min(100, len(section.text)),
                            responsible_units=list(section.responsible_units)))
        hits.sort(key=lambda h: -h.score)
        return hits[:top_k]

    def _first_chunk(self, doc_id: str, section_id: str):
        """The section's first chunk: the passage for a section found through its evidence alone."""
        return next((c for c in self.kb.chunks.values() if c.doc_id == doc_id and c.section_id == section_id), None)


class InMemoryDense:
    """Exact cosine search over the chunk vectors read once from Chroma: a matrix product instead of a query
    through Chroma's client (a tenth of a search's time); rebuilt with the keyword indexes on every change."""

    def __init__(self, ids: list[str], matrix: np.ndarray) -> None:
        self.ids = ids
        self.matrix = matrix

    def search(self, vector: np.ndarray, k: int, doc_id: str | None, kb: KnowledgeBase) -> list[str]:
        if not self.ids:
            return []
        scores = self.matrix @ (vector / (np.linalg.norm(vector) + 1e-12))
        if doc_id:
            scores = np.where([kb.chunks[i].doc_id == doc_id if i in kb.chunks else False for i in self.ids], scores, -np.inf)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        return [self.ids[i] for i in top[np.argsort(-scores[top])] if np.isfinite(scores[i])]
