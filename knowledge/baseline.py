"""The pipeline a newcomer would build with LangChain, kept only to be measured against.

Fixed 750-character chunks with 150 overlap (RecursiveCharacterTextSplitter), Chroma similarity search,
the same embedding model. Each chunk is credited to the section it overlaps most, so its answers can be
scored with the same section ids as ours.
"""

from __future__ import annotations

import chromadb
from chromadb.config import Settings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from knowledge.models import Document


class NaiveLangChainPipeline:
    def __init__(self, raw_text: str, doc: Document, embedding: Embeddings) -> None:
        splitter = RecursiveCharacterTextSplitter(chunk_size=750, chunk_overlap=150, add_start_index=True)
        pieces = splitter.create_documents([raw_text])
        spans = []
        for section in doc.sections:
            start = raw_text.find(section.text.split("\n")[0])
            if start >= 0:
                spans.append((section.section_id, start, start + len(section.text)))
        for piece in pieces:
            begin = piece.metadata["start_index"]
            end = begin + len(piece.page_content)
            overlaps = [(min(end, e) - max(begin, s), sid) for sid, s, e in spans]
            best = max(overlaps, default=(0, ""))
            piece.metadata["article"] = best[1] if best[0] > 0 else ""
        client = chromadb.EphemeralClient(Settings(anonymized_telemetry=False))
        self._store = Chroma.from_documents(pieces, embedding, client=client, collection_name="naive-baseline")

    def search(self, query: str, k: int = 5) -> list[str]:
        """Section ids of the top chunks, in rank order (repeats collapsed)."""
        ids: list[str] = []
        for piece in self._store.similarity_search(query, k=k):
            if piece.metadata["article"] not in ids:
                ids.append(piece.metadata["article"])
        return ids
