"""What each console sub-command does; errors a person can read, never a traceback."""

from __future__ import annotations

import json
import sys
import time

from tqdm import tqdm

from assistant.config import Settings
from assistant.evaluation import evaluate_questions, is_award_set, load_eval_file
from knowledge.errors import IngestError


class CommandError(Exception):
    pass


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def cmd_ingest(args) -> int:
    from assistant.runtime import open_knowledge

    knowledge = open_knowledge(Settings.from_env())
    failed = 0
    for path in tqdm(args.paths, desc="ingest", unit="file", file=sys.stderr):
        try:
            result = knowledge.kb.ingest_file(path)
        except IngestError as exc:
            failed += 1
            tqdm.write(f"失败 / failed: {exc}", file=sys.stderr)
            continue
        tqdm.write(f"{result.status}: {result.doc_id} ({result.sections} sections, {result.chunks} chunks)")
    return 1 if failed else 0


def cmd_remove(args) -> int:
    from assistant.runtime import open_knowledge

    knowledge = open_knowledge(Settings.from_env(), ensure_corpus=False)
    if not knowledge.kb.remove(args.doc_id):
        raise CommandError(f"没有这个文档 / no document with id {args.doc_id!r}; known: {', '.join(knowledge.kb.documents)}")
    print(f"removed: {args.doc_id}")
    return 0


def cmd_eval(args) -> int:
    try:
        data = load_eval_file(args.file)
    except (OSError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    if is_award_set(data):
        return _eval_awards(data)
    return _eval_questions(data, args.baseline)


def _eval_questions(data, baseline: bool) -> int:
    from assistant.runtime import open_knowledge

    knowledge = open_knowledge(Settings.from_env())
    started = time.perf_counter()
    ours = evaluate_questions(lambda q: [h.article for h in knowledge.searcher.search(q, 5)], data["cases"],
                              "ours (structure + glossary + BM25 words/bigrams + e5 + USE, RRF)")
    per_query_ms = (time.perf_counter() - started) * 1000 / max(1, ours.total)
    print(ours.summary() + f"  {per_query_ms:.1f} ms/query")
    for miss in ours.misses:
        print(f"  miss: {miss['q']}  accept={miss['accept']}  got={miss['got']}")
    if baseline:
        from knowledge.baseline import NaiveLangChainPipeline
        from knowledge.embeddings import load_embedder

        doc = knowledge.kb.documents["changsha-ai-2025"]
        raw = open(doc.source_path, encoding="utf-8").read()
        naive = NaiveLangChainPipeline(raw, doc, load_embedder("e5"))
        theirs = evaluate_questions(lambda q: naive.search(q, 5), data["cases"],
                                    "naive LangChain (750/150 chunks, Chroma similarity, e5)")
        print(theirs.summary())
        print(f"difference: recall@1 {ours.recall_at_1 - theirs.recall_at_1:+.3f}  "
              f"recall@3 {ours.recall_at_3 - theirs.recall_at_3:+.3f}  MRR {ours.mrr - theirs.mrr:+.3f}")
    return 0


def _eval_awards(data) -> int:
    raise CommandError("award sets need the conversation module")
