"""Search quality and speed, ours beside the plain LangChain pipeline, in one run on the same questions.

1. In-process, both pipelines on the held-out paraphrases and the dev set: recall@1, recall@3, and p50/p95
   latency of a question never asked before (our query cache emptied first), with the ratios.
2. A real server (`policy-assistant serve`, one worker) from a built index: seconds to `/healthz` 200, then
   `/v1/search` on questions it has never seen (each asked once) and on the same questions asked again.
The table is printed and written into the README between the `search-bench` markers.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.api_load import start_server
from benchmarks.common import free_port, percentiles, save
from knowledge.base import KnowledgeBase
from knowledge.baseline import NaiveLangChainPipeline
from knowledge.embeddings import load_embedder, load_embedders
from knowledge.query_cache import QueryEmbeddingCache
from knowledge.retrieval import HybridSearcher

ROOT = Path(__file__).resolve().parent.parent
SETS = {"held-out paraphrases": ROOT / "eval" / "paraphrase_heldout.json",
        "dev set": ROOT.parent / "shared" / "eval" / "dev_questions.json"}
README = ROOT / "README.md"
BEGIN, END = "<!-- search-bench:begin -->", "<!-- search-bench:end -->"


def load_cases(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cases"] if path.exists() else []


def run(search, cases: list[dict]) -> dict:
    r1 = r3 = 0
    samples = []
    for case in cases:
        start = time.perf_counter()
        got = search(case["q"])
        samples.append((time.perf_counter() - start) * 1000)
        r1 += bool(got) and got[0] in case["accept"]
        r3 += any(a in case["accept"] for a in got[:3])
    n = max(1, len(cases))
    return {"recall@1": round(r1 / n, 3), "recall@3": round(r3 / n, 3), **percentiles(samples or [0.0])}


def side_by_side() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp), load_embedders("e5"))
        kb.ensure_corpus()
        doc = kb.documents["changsha-ai-2025"]
        naive = NaiveLangChainPipeline(Path(doc.source_path).read_text(encoding="utf-8"), doc, load_embedder("e5"))
        searcher = HybridSearcher(kb)
        searcher.warm_up()
        naive.search("热身", 5)
        out = {}
        for label, path in SETS.items():
            cases = load_cases(path)
            searcher.cache = QueryEmbeddingCache()  # every question new to our cache too
            ours = run(lambda q: [h.article for h in searcher.search(q, 5)], cases)
            theirs = run(lambda q: naive.search(q, 5), cases)
            out[label] = {"questions": len(cases), "ours": ours, "naive": theirs}
        return out


def served() -> dict:
    questions = [c["q"] for path in SETS.values() for c in load_cases(path)]
    questions += [c["q"] for c in load_cases(ROOT / "eval" / "paraphrase_tune.json")]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        builder, _ = start_server(data, free_port(), 1)  # the first start builds the index
        builder.terminate()
        builder.wait(30)
        port = free_port()
        server, ready_s = start_server(data, port, 1)
        ready_cpu_s = cpu_seconds(server.pid)
        url = f"http://127.0.0.1:{port}/v1/search"
        try:
            with httpx.Client(timeout=60) as client:
                def ask(q: str) -> float:
                    start = time.perf_counter()
                    r = client.post(url, json={"query": q, "top_k": 5})
                    r.raise_for_status()
                    return (time.perf_counter() - start) * 1000

                ask("服务预热")
                fresh = [ask(q) for q in questions]
                repeated = [ask(q) for q in questions]
        finally:
            server.terminate()
            server.wait(30)
    return {"ready_from_built_index_s": round(ready_s, 2), "ready_cpu_s": ready_cpu_s, "unseen": percentiles(fresh), "repeated": percentiles(repeated)}


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used (all threads): what start-up costs, whatever else shares the cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)


def table(result: dict) -> str:
    rows = ["| questions | pipeline | recall@1 | recall@3 | p50 ms | p95 ms |", "| --- | --- | --- | --- | --- | --- |"]
    for label, r in result["side_by_side"].items():
        ours, naive = r["ours"], r["naive"]
        rows.append(f"| {label} ({r['questions']}) | ours | **{ours['recall@1']:.3f}** | **{ours['recall@3']:.3f}** | "
                    f"{ours['p50_ms']:.1f} | {ours['p95_ms']:.1f} |")
        rows.append(f"| | naive LangChain (750/150, Chroma, e5) | {naive['recall@1']:.3f} | {naive['recall@3']:.3f} | "
                    f"{naive['p50_ms']:.1f} | {naive['p95_ms']:.1f} |")

        def ratio(key: str, ours=ours, naive=naive) -> str:
            return f"{ours[key] / naive[key]:.2f}×" if naive[key] else "—"

        rows.append(f"| | ours ÷ naive | {ratio('recall@1')} | {ratio('recall@3')} | {ratio('p50_ms')} | {ratio('p95_ms')} |")
    s = result["served"]
    rows += ["", "| served, one worker | figure |", "| --- | --- |",
             f"| ready (`/healthz` 200) from a built index, s (CPU s the server used till then) | "
             f"{s['ready_from_built_index_s']} ({s['ready_cpu_s']}) |",
             f"| `/v1/search`, questions never asked before ({s['unseen']['n']}), p50 / p95 ms | "
             f"{s['unseen']['p50_ms']:.1f} / {s['unseen']['p95_ms']:.1f} |",
             f"| `/v1/search`, the same questions again, p50 / p95 ms | {s['repeated']['p50_ms']:.1f} / {s['repeated']['p95_ms']:.1f} |"]
    return "\n".join(rows)


def write_readme(text: str) -> None:
    readme = README.read_text(encoding="utf-8")
    if BEGIN in readme and END in readme:
        head, rest = readme.split(BEGIN, 1)
        README.write_text(head + BEGIN + "\n" + text + "\n" + END + rest.split(END, 1)[1], encoding="utf-8")


def main() -> dict:
    result = {"side_by_side": side_by_side(), "served": served()}
    save("search", result)
    text = table(result)
    print(text)
    write_readme(text)
    return result


if __name__ == "__main__":
    main()
