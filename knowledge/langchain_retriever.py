"""The hybrid search as a langchain retriever: one `Document` per section, metadata naming its source.

Kept apart from `retrieval` so that a server does not import langchain's retriever stack at start-up.
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from knowledge.retrieval import HybridSearcher


class PolicyRetriever(BaseRetriever):
    """`PolicyRetriever(searcher=…, k=5).invoke("问题")` → the best sections as langchain Documents."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    searcher: HybridSearcher
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return [
            LCDocument(page_content=hit.text, metadata={
                "doc_id": hit.doc_id, "article": hit.article, "title": hit.title, "score": hit.score,
                "passage": hit.passage, "responsible_units": hit.responsible_units})
            for hit in self.searcher.search(query, self.k)
        ]
