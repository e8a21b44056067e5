"""Print the README's benchmark table from benchmarks/results/*.json (after `make bench`)."""

from __future__ import annotations

import json

from benchmarks.common import RESULTS_DIR


def _load(name: str) -> dict | None:
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _p(d: dict) -> str:
    return f"{d['p50_ms']:.1f} / {d['p95_ms']:.1f}"


def main() -> None:
    rows = ["| what | figure |", "| --- | --- |"]
    if engine := _load("engine"):
        rows.append(f"| `evaluate()`, whole policy (every programme assessed), p50 / p95 ms | {_p(engine['whole_policy'])} |")
        rows.append(f"| `evaluate()`, programmes the facts concern, p50 / p95 ms | {_p(engine['concerned_only'])} |")
    for name, label in (("turn-e5", "e5 (default)"), ("turn-use", "USE only")):
        if turn := _load(name):
            rows.append(f"| deterministic turn in-process, {label}: award turns, p50 / p95 ms | {_p(turn['award_turns'])} |")
            rows.append(f"| deterministic turn in-process, {label}: dev questions, p50 / p95 ms | {_p(turn['question_turns'])} |")
    if knowledge := _load("knowledge"):
        corpus, big = knowledge["corpus"], knowledge["generated"]
        rows.append(f"| index build, the policy ({corpus['chunks']} chunks), s | {corpus['build_s']} |")
        rows.append(f"| search on the policy, p50 / p95 ms | {_p(corpus['search'])} |")
        rows.append(f"| generated corpus: {big['documents']} documents, {big['chunks']} chunks ({big.get('distinct_passages', '?')} distinct) — "
                    f"ingest s (CPU s) | {big['build_s']} ({big.get('build_cpu_s', '?')}) |")
        rows.append(f"| generated corpus: search p50 / p95 ms | {_p(big['search'])} |")
        rows.append(f"| generated corpus: peak memory (RSS), MB | {big['peak_rss_mb']} |")
    for workers in (1, 2):
        if load := _load(f"api-load-{workers}w"):
            w = f"{workers} worker{'s' if workers > 1 else ''}"
            rows.append(f"| server ready (`/healthz` 200) from a built index, {w}, s | {load['ready_from_built_index_s']} |")
            for clients in (1, 8, 32):
                for kind, label in (("chat_award", "`/v1/chat` award questions"), ("chat_mixed", "`/v1/chat` mixed"),
                                    ("search", "`/v1/search`")):
                    d = load[f"{kind}_{clients}"]
                    rows.append(f"| {label}, {clients} client{'s' if clients > 1 else ''}, {w}: p50 / p95 ms, req/s, errors "
                                f"| {_p(d)}, {d['per_second']}/s, {d['errors']} |")
            soak = load["soak"]
            rows.append(f"| 50 sessions × 20 turns (8 at a time), {w}: errors, lost, reordered, turns/s "
                        f"| {soak['errors']}, {soak['lost_turns']}, {soak['reordered_sessions']}, {soak['turns_per_second']}/s |")
    if staff := _load("staff_review"):
        rows.append(f"| staff review list, {staff['turns']:,} stored turns: all / 👎 / channel / programme, p50 / p95 ms "
                    f"| {_p(staff['all'])}; {_p(staff['thumbs_down'])}; {_p(staff['channel_hotline'])}; "
                    f"{_p(staff['programme_article_3'])} |")
        rows.append(f"| staff review list, {staff['turns']:,} stored turns: out-of-scope in a week / asked-to-confirm by tenant, "
                    f"p50 / p95 ms | {_p(staff['out_of_scope_week'])}; {_p(staff['confirm_owner'])} |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
