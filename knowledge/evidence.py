"""Section-level evidence: what each section is about (`sections.yaml`), searchable beside its text.

A question in an enterprise's words often shares no word with the clause that answers it ("第一个付费客户"
for 首次商业化应用). Short descriptions of each programme, indexed phrase by phrase in BM25 and in every
dense model, give such a question a second way to its section. Phrase vectors are computed once and kept
in the data folder, keyed by the phrases' hash, so a server start embeds nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

from knowledge.keyword import KeywordIndex
from knowledge.tokenize import bigrams, words

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

SECTIONS_PATH = Path(__file__).with_name("sections.yaml")


@dataclass(frozen=True)
class Phrase:
    doc_id: str
    section_id: str
    text: str


@lru_cache(maxsize=4)
def load_phrases(path: Path = SECTIONS_PATH) -> tuple[Phrase, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(Phrase(str(doc_id), str(section_id), str(text))
                 for doc_id, sections in data.items() for section_id, texts in (sections or {}).items()
                 for text in texts or ())


class SectionEvidence:
    """BM25 and dense search over the phrases of the sections that are in the index."""

    def __init__(self, phrases: list[Phrase], embedders: list[Embeddings], cache_dir: Path | None = None) -> None:
        self.phrases = list(phrases)
        self._words = KeywordIndex(words)
        self._bigrams = KeywordIndex(bigrams)
        ids = [str(i) for i in range(len(self.phrases))]
        self._words.build(ids, [words(p.text) for p in self.phrases])
        self._bigrams.build(ids, [bigrams(p.text) for p in self.phrases])
        self._matrices = [self._vectors(e, cache_dir) for e in embedders]
        self._doc_of = np.array([p.doc_id for p in self.phrases])

    def _vectors(self, embedder: Embeddings, cache_dir: Path | None) -> np.ndarray:
        texts = [p.text for p in self.phrases]
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        key = hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()[:16]
        path = cache_dir / f"evidence-{getattr(embedder, 'name', 'custom')}-{key}.npy" if cache_dir else None
        if path is not None and path.exists():
            return np.load(path)
        matrix = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-12
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, matrix)
            tmp.replace(path)
        return matrix

    def _rank(self, order: list[int]) -> list[tuple[str, str]]:
        """Phrase indexes best first → (doc_id, section_id) best first, each section once."""
        seen: dict[tuple[str, str], None] = {}
        for i in order:
            p = self.phrases[i]
            seen.setdefault((p.doc_id, p.section_id), None)
        return list(seen)

    def keyword(self, query: str, doc_id: str | None = None) -> list[list[tuple[str, str]]]:
        allowed = (self._doc_of == doc_id) if doc_id else None
        return [self._rank([int(i) for i, _ in index.search(query, len(self.phrases), allowed)])
                for index in (self._words, self._bigrams)]

    def dense(self, n: int, vector: list[float], doc_id: str | None = None) -> list[tuple[str, str]]:
        """Sections by their closest phrase to the query vector of embedder `n`."""
        matrix = self._matrices[n]
        if not len(self.phrases):
            return []
        q = np.asarray(vector, dtype=np.float32)
        scores = matrix @ (q / (np.linalg.norm(q) + 1e-12))
        if doc_id:
            scores = np.where(self._doc_of == doc_id, scores, -np.inf)
        order = [int(i) for i in np.argsort(-scores) if np.isfinite(scores[i])]
        return self._rank(order)
