"""Query embeddings remembered: a bounded LRU in the process, and Redis shared by workers when configured.

One query embedding is most of a search's time; a question asked before (the hotline hears the same ones
all day) needs none. Keys are the model's name and the query's hash, values float32 bytes; Redis entries
expire after a week so a changed model never meets stale vectors for long (the name changes with the model).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import TYPE_CHECKING

import numpy as np
from cachetools import LRUCache

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

log = logging.getLogger("policy_assistant.knowledge")
REDIS_TTL_S = 7 * 24 * 3600


class QueryEmbeddingCache:
    def __init__(self, maxsize: int = 4096, redis_url: str | None = None) -> None:
        self._local: LRUCache = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()
        self._redis = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=0.2, socket_connect_timeout=0.5)

    @staticmethod
    def key(embedder: Embeddings, text: str) -> str:
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
        return f"policy:qemb:{getattr(embedder, 'name', type(embedder).__name__)}:{digest}"

    def embed_query(self, embedder: Embeddings, text: str) -> np.ndarray:
        key = self.key(embedder, text)
        with self._lock:
            found = self._local.get(key)
        if found is not None:
            return found
        found = self._shared_get(key)
        if found is None:
            found = np.asarray(embedder.embed_query(text), dtype=np.float32)
            self._shared_set(key, found)
        with self._lock:
            self._local[key] = found
        return found

    def __len__(self) -> int:
        return len(self._local)

    def _shared_get(self, key: str) -> np.ndarray | None:
        if self._redis is None:
            return None
        try:
            raw = self._redis.get(key)
        except Exception as exc:  # a cache that is down only costs time
            log.warning("query cache: redis unavailable (%s)", exc)
            return None
        return np.frombuffer(raw, dtype=np.float32).copy() if raw else None

    def _shared_set(self, key: str, vector: np.ndarray) -> None:
        if self._redis is None:
            return
        try:
            self._redis.set(key, vector.astype(np.float32).tobytes(), ex=REDIS_TTL_S)
        except Exception as exc:
            log.warning("query cache: redis unavailable (%s)", exc)
