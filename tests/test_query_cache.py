"""The query-embedding cache: bounded in the process, shared by workers through a real redis-server."""


import numpy as np
from conftest import free_port

from knowledge.query_cache import QueryEmbeddingCache


class CountingEmbedder:
    """Deterministic vectors from the text; counts how often it is asked."""

    name = "counting"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def embed_query(self, text: str) -> list[float]:
        self.calls.append(text)
        rng = np.random.default_rng(abs(hash(text)) % 2**32)
        return rng.standard_normal(8).tolist()


def test_a_repeated_query_is_not_embedded_again():
    embedder, cache = CountingEmbedder(), QueryEmbeddingCache(maxsize=8)
    first = cache.embed_query(embedder, "政策有效期多久")
    again = cache.embed_query(embedder, "政策有效期多久")
    assert embedder.calls == ["政策有效期多久"]
    assert np.array_equal(first, again) and first.dtype == np.float32


def test_the_cache_is_bounded_and_forgets_the_least_recent():
    embedder, cache = CountingEmbedder(), QueryEmbeddingCache(maxsize=2)
    for q in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" comes
        cache.embed_query(embedder, q)
    assert len(cache) == 2
    cache.embed_query(embedder, "a")
    cache.embed_query(embedder, "b")
    assert embedder.calls == ["a", "b", "c", "b"]


def test_workers_share_embeddings_through_redis(redis_url):
    first_worker, second_worker = CountingEmbedder(), CountingEmbedder()
    vector = QueryEmbeddingCache(redis_url=redis_url).embed_query(first_worker, "数据标注企业有扶持吗")
    shared = QueryEmbeddingCache(redis_url=redis_url).embed_query(second_worker, "数据标注企业有扶持吗")
    assert second_worker.calls == [] and np.allclose(vector, shared)


def test_models_do_not_share_vectors(redis_url):
    cache = QueryEmbeddingCache(redis_url=redis_url)
    one, other = CountingEmbedder(), CountingEmbedder()
    other.name = "another-model"
    cache.embed_query(one, "同一个问题")
    cache.embed_query(other, "同一个问题")
    assert one.calls == other.calls == ["同一个问题"]


def test_a_redis_that_is_down_only_costs_time():
    embedder = CountingEmbedder()
    cache = QueryEmbeddingCache(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    assert len(cache.embed_query(embedder, "银行贷款支持")) == 8
    cache.embed_query(embedder, "银行贷款支持")
    assert embedder.calls == ["银行贷款支持"]  # the local cache still works


def test_searches_use_the_cache(searcher):
    from knowledge.query_cache import QueryEmbeddingCache

    searcher.cache = cache = QueryEmbeddingCache()
    first = searcher.search("我们想把自己训练的模型免费公开", 3)
    assert len(cache) >= 1
    assert [h.article for h in searcher.search("我们想把自己训练的模型免费公开", 3)] == [h.article for h in first]
