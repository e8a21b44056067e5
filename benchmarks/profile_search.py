"""Where a search's time goes: pyinstrument over every dev and paraphrase question, each asked once.

Usage: python -m benchmarks.profile_search [EMBEDDINGS]   (default: the configured default, e5)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from pyinstrument import Profiler

from knowledge.base import KnowledgeBase
from knowledge.embeddings import DEFAULT_EMBEDDINGS, load_embedders
from knowledge.retrieval import HybridSearcher

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "eval" / "paraphrase_tune.json", ROOT / "eval" / "paraphrase_heldout.json",
         ROOT.parent / "shared" / "eval" / "dev_questions.json"]


def main(embeddings: str = DEFAULT_EMBEDDINGS) -> None:
    questions = [c["q"] for f in FILES if f.exists() for c in json.loads(f.read_text(encoding="utf-8"))["cases"]]
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp), load_embedders(embeddings))
        kb.ensure_corpus()
        searcher = HybridSearcher(kb)
        searcher.warm_up()
        profiler = Profiler(interval=0.0005)
        started = time.perf_counter()
        profiler.start()
        for q in questions:
            searcher.search(q, 5)
        profiler.stop()
        per_query = (time.perf_counter() - started) * 1000 / len(questions)
    print(f"{len(questions)} questions, {per_query:.1f} ms each on average (embeddings: {embeddings})")
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main(*sys.argv[1:])
