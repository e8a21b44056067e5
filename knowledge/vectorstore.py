"""Dense search in Chroma: embedded on disk by default, a Chroma server when POLICY_CHROMA_URL is set.

Embeddings are computed by the project (`knowledge.embeddings`) and handed to Chroma, and every
collection is given the project's own embedding function, so Chroma never loads its default model
(which would try to download one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings
from langchain_core.embeddings import Embeddings

from knowledge.models import Chunk


class ProjectEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's view of one of our embedders."""

    def __init__(self, embedder: Embeddings) -> None:
        self._embedder = embedder

    def __call__(self, input: Documents) -> list:  # noqa: A002 - Chroma's protocol names it so
        return self._embedder.embed_documents(list(input))

    def embed_query(self, input: Documents) -> list:  # noqa: A002
        return [self._embedder.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return "changsha-policy-assistant"

    def get_config(self) -> dict[str, Any]:
        return {"embedder": getattr(self._embedder, "name", "custom")}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ProjectEmbeddingFunction:
        from knowledge.embeddings import load_embedder

        return ProjectEmbeddingFunction(load_embedder(config.get("embedder", "e5")))


def make_client(data_dir: Path, chroma_url: str | None):
    settings = Settings(anonymized_telemetry=False, allow_reset=True)
    if chroma_url:
        parsed = urlparse(chroma_url)
        return chromadb.HttpClient(host=parsed.hostname or "127.0.0.1", port=parsed.port or 8000,
                                   ssl=parsed.scheme == "https", settings=settings)
    (data_dir / "chroma").mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=settings)


class DenseIndex:
    """One Chroma collection per embedding model, holding every chunk's vector."""

    def __init__(self, client, embedder: Embeddings, prefix: str) -> None:
        self.embedder = embedder
        name = f"{prefix}-{getattr(embedder, 'name', 'custom')}"[:60]
        self._collection = client.get_or_create_collection(
            name=name, embedding_function=ProjectEmbeddingFunction(embedder), metadata={"hnsw:space": "cosine"})

    def upsert(self, chunks: list[Chunk], vectors: list[list[float]]) -> None:
        for start in range(0, len(chunks), 1000):
            batch = chunks[start : start + 1000]
            self._collection.upsert(
                ids=[c.chunk_id for c in batch],
                embeddings=vectors[start : start + 1000],
                metadatas=[{"doc_id": c.doc_id, "section_id": c.section_id} for c in batch],
                documents=[c.text for c in batch],
            )

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), 1000):
            self._collection.delete(ids=ids[start : start + 1000])

    def ids(self) -> set[str]:
        return set(self._collection.get(include=[])["ids"])

    def vectors(self, page: int = 5000) -> tuple[list[str], np.ndarray]:
        """Every chunk id with its unit vector, for exact search in memory (see retrieval.InMemoryDense)."""
        ids: list[str] = []
        rows: list[np.ndarray] = []
        offset = 0
        while True:
            got = self._collection.get(include=["embeddings"], limit=page, offset=offset)
            if not got["ids"]:
                break
            ids += got["ids"]
            rows.append(np.asarray(got["embeddings"], dtype=np.float32))
            offset += len(got["ids"])
        matrix = np.vstack(rows) if rows else np.zeros((0, 1), dtype=np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-12
        return ids, matrix

    def search(self, query_vector: list[float], k: int, doc_id: str | None = None) -> list[tuple[str, float]]:
        result = self._collection.query(  # Chroma returns fewer than k when the collection holds fewer
            query_embeddings=[query_vector], n_results=k,
            where={"doc_id": doc_id} if doc_id else None, include=["distances"])
        return [(cid, 1.0 - dist) for cid, dist in zip(result["ids"][0], result["distances"][0], strict=True)]
