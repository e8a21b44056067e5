"""What each console sub-command does; errors a person can read, never a traceback."""

from __future__ import annotations

import json
import sys
import time

from tqdm import tqdm

from assistant.answer_evaluation import is_answer_set
from assistant.config import Settings
from assistant.evaluation import evaluate_questions, is_award_set, load_eval_file
from knowledge.errors import IngestError


class CommandError(Exception):
    pass


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def cmd_ingest(args) -> int:
    from assistant.runtime import open_knowledge
    from knowledge.base import doc_id_for
    from knowledge.reader import read_text

    knowledge = open_knowledge(Settings.from_env())
    failed = 0
    batch = 50  # files embedded together: recurring passages once, large writes (knowledge.base.ingest_many)
    with tqdm(total=len(args.paths), desc="ingest", unit="file", file=sys.stderr) as progress:
        for first in range(0, len(args.paths), batch):
            items = []
            for path in args.paths[first : first + batch]:
                try:
                    items.append((read_text(path), doc_id_for(path), str(path)))
                except IngestError as exc:
                    failed += 1
                    tqdm.write(f"失败 / failed: {exc}", file=sys.stderr)
            for result in knowledge.kb.ingest_many(items):
                if isinstance(result, IngestError):
                    failed += 1
                    tqdm.write(f"失败 / failed: {result}", file=sys.stderr)
                else:
                    tqdm.write(f"{result.status}: {result.doc_id} ({result.sections} sections, {result.chunks} chunks)")
            progress.update(len(args.paths[first : first + batch]))
    return 1 if failed else 0


def cmd_remove(args) -> int:
    from assistant.runtime import open_knowledge

    knowledge = open_knowledge(Settings.from_env(), ensure_corpus=False)
    if not knowledge.kb.remove(args.doc_id):
        raise CommandError(f"没有这个文档 / no document with id {args.doc_id!r}; known: {', '.join(knowledge.kb.documents)}")
    print(f"removed: {args.doc_id}")
    return 0


def cmd_eval(args) -> int:
    from assistant.office_cases import REGRESSION_FILE

    if args.file is None:
        args.file = REGRESSION_FILE
    try:
        data = load_eval_file(args.file)
    except (OSError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    if is_award_set(data):
        return _eval_awards(data)
    if is_answer_set(data):
        return _eval_answers(data)
    return _eval_questions(data, args.baseline)


def _eval_questions(data, baseline: bool) -> int:
    from assistant.runtime import open_knowledge

    knowledge = open_knowledge(Settings.from_env())
    started = time.perf_counter()
    ours = evaluate_questions(lambda q: [h.article for h in knowledge.searcher.search(q, 5)], data["cases"],
                              "ours (glossary + BM25 + dense over clauses and section evidence, weighted RRF by section)")
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
    from assistant.evaluation import evaluate_awards
    from assistant.runtime import open_assistant

    settings = Settings.from_env()
    assistant = open_assistant(settings)
    report = evaluate_awards(lambda message, sid: assistant.chat(message, sid).model_dump(), data)
    print(report.summary())
    for failure in report.failures:
        print(f"  fail: {failure}")
    return 0 if not report.failures else 1


def cmd_regression(args) -> int:
    from assistant.office_cases import REGRESSION_FILE, add_to_regression

    target = args.file or REGRESSION_FILE
    try:
        added = add_to_regression(args.export, target)
    except (OSError, ValueError) as exc:
        raise CommandError(f"{args.export}: {exc}") from exc
    print(f"{added} new case(s) or question(s) added to {target}")
    return 0


def _eval_answers(data) -> int:
    from assistant.answer_evaluation import evaluate_answers
    from assistant.runtime import open_assistant

    assistant = open_assistant(Settings.from_env())
    report = evaluate_answers(lambda message, sid, channel: assistant.chat(message, sid, channel=channel).model_dump(), data)
    print(report.summary())
    for failure in report.failures:
        print(f"  fail: {failure}")
    return 0 if not report.failures else 1


def cmd_ask(args) -> int:
    from assistant.runtime import open_assistant
    from assistant.sessions import SessionNotFound
    from assistant.turn import InputError

    assistant = open_assistant(Settings.from_env())
    try:
        reply = assistant.chat(args.question, args.session, channel="hotline")
    except InputError as exc:
        raise CommandError(str(exc)) from exc
    except SessionNotFound as exc:
        raise CommandError(f"unknown session {args.session!r} / 没有这个会话") from exc
    if args.json:
        _print_json(reply.model_dump(mode="json"))
    else:
        print(reply.answer)
        print(f"\n(session: {reply.session_id})")
    return 0


def cmd_estimate(args) -> int:
    import datetime as dt

    from pydantic import ValidationError

    from eligibility.engine import evaluate
    from eligibility.facts import Facts

    try:
        facts = Facts.model_validate_json(args.facts.read_text(encoding="utf-8"))
        on_date = dt.date.fromisoformat(args.on_date) if args.on_date else None
    except OSError as exc:
        raise CommandError(f"cannot read {args.facts}: {exc}") from exc
    except ValidationError as exc:
        raise CommandError(f"{args.facts}: invalid facts: " + "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())) from exc
    except ValueError as exc:
        raise CommandError(f"--on-date: {exc}") from exc
    assessment = evaluate(facts, on_date)
    if args.json:
        _print_json(assessment.model_dump(mode="json"))
        return 0
    print(f"评估日期 {assessment.on_date}")
    for e in assessment.estimates:
        ceiling = "未规定金额" if e.ceiling_yuan is None else f"{e.ceiling_yuan:,} 元"
        print(f"\n[{e.status}] {e.title}（{e.article}） {e.project}  最高可获：{ceiling}")
        for step in e.trace:
            print(f"  - {step}")
        if e.missing:
            print(f"  尚需：{'、'.join(e.missing)}")
    total = "—" if assessment.total_ceiling_yuan is None else f"{assessment.total_ceiling_yuan:,} 元"
    print(f"\n从高不重复后合计最高：{total}")
    for step in assessment.total_trace:
        print(f"  - {step}")
    return 0


def cmd_serve(args) -> int:
    import logging

    import uvicorn

    from api.app import create_app_from_env
    from assistant.runtime import open_knowledge

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    _check_keys(settings)
    args.host = args.host or settings.host
    args.port = args.port or settings.port
    args.workers = args.workers or settings.workers
    if args.workers > 1:
        open_knowledge(settings)  # builds the index once, before any worker starts
        # a worker busy with CPU-bound turns answers the supervisor's ping late: give it time before a restart
        uvicorn.run("api.app:create_app_from_env", factory=True, host=args.host, port=args.port,
                    workers=args.workers, access_log=False, timeout_worker_healthcheck=60)
        return 0
    # listens at once; /healthz says "starting" while the index and models load in the background
    uvicorn.run(create_app_from_env(settings), host=args.host, port=args.port, access_log=False)
    return 0


def _check_keys(settings: Settings) -> None:
    """A keys file that does not parse stops the start, like any other bad setting."""
    from api.auth import KeyRegistry

    try:
        KeyRegistry.from_settings(settings)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def cmd_purge(args) -> int:
    from assistant.runtime import open_retention, purge_expired

    settings = Settings.from_env()
    days = args.days or settings.session_retention_days
    if not days or days < 1:
        raise CommandError("give --days N or set POLICY_SESSION_RETENTION_DAYS / 请指定保留天数")
    removed = purge_expired(open_retention(settings), days)
    print(f"removed {removed} session(s) last written more than {days} days ago")
    return 0
