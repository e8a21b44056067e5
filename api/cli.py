"""The console script `policy-assistant`: serve, ingest, remove, ask, estimate, eval, regression, purge."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="policy-assistant", description="长沙AI政策助手")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API and the web UI")
    serve.add_argument("--host", help="default: HOST, else 127.0.0.1")
    serve.add_argument("--port", type=int, help="default: PORT, else 8000")
    serve.add_argument("--workers", type=int, help="default: POLICY_WORKERS, else 1")

    ingest = sub.add_parser("ingest", help="add or update documents (.txt .md .docx .pdf)")
    ingest.add_argument("paths", nargs="+", type=Path)

    remove = sub.add_parser("remove", help="take a document out of the knowledge base")
    remove.add_argument("doc_id")

    ask = sub.add_parser("ask", help="one chat turn")
    ask.add_argument("question")
    ask.add_argument("--session")
    ask.add_argument("--json", action="store_true")

    estimate = sub.add_parser("estimate", help="the eligibility engine alone")
    estimate.add_argument("--facts", type=Path, required=True)
    estimate.add_argument("--on-date")
    estimate.add_argument("--json", action="store_true")

    evaluate = sub.add_parser("eval", help="run a question set or an award set (default: the office's regression set)")
    evaluate.add_argument("file", type=Path, nargs="?", help="default: tests/regression/office_cases.json")
    evaluate.add_argument("--baseline", action="store_true", help="also run the naive LangChain pipeline")

    regression = sub.add_parser("regression", help="the office's regression set, made from reviewed conversations")
    regression_sub = regression.add_subparsers(dest="action", required=True)
    add = regression_sub.add_parser("add", help="add cases exported from the staff pages (GET /v1/staff/export)")
    add.add_argument("export", type=Path)
    add.add_argument("--file", type=Path, help="the regression file (default: tests/regression/office_cases.json)")
    purge = sub.add_parser("purge", help="delete sessions older than the retention (POLICY_SESSION_RETENTION_DAYS)")
    purge.add_argument("--days", type=int, help="default: POLICY_SESSION_RETENTION_DAYS")

    args = parser.parse_args(argv)
    from api import commands
    from assistant.config import SettingsError

    try:
        return getattr(commands, f"cmd_{args.command}")(args)
    except (commands.CommandError, SettingsError) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2


def dump(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    sys.exit(main())
