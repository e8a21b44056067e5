"""Keyword search: BM25 (bm25s) over a token stream of each chunk."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import bm25s


class KeywordIndex:
    """One BM25 index over one way of tokenizing (jieba words, or character bigrams)."""

    def __init__(self, tokenize: Callable[[str], list[str]]) -> None:
        self._tokenize = tokenize
        self._ids: list[str] = []
        self._bm25: bm25s.BM25 | None = None
        self._vocab: set[str] = set()

    def build(self, ids: list[str], token_lists: list[list[str]]) -> None:
        self._ids = list(ids)
        self._bm25 = None
        if not ids:
            return
        import bm25s  # scipy underneath: imported when an index is built, not when a server starts

        bm25 = bm25s.BM25()
        # a placeholder token keeps documents with no tokens from breaking the sparse matrix
        bm25.index([tokens or ["∅"] for tokens in token_lists], show_progress=False)
        self._bm25 = bm25
        self._vocab = set(bm25.vocab_dict)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(chunk id, score) best first; only chunks with a positive score; `allowed` is a boolean mask."""
        if self._bm25 is None:
            return []
        tokens = [t for t in self._tokenize(query) if t in self._vocab]
        if not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self._ids[i], float(scores[i])) for i in top if scores[i] > 0]
