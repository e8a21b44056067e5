"""Index build and search on the real corpus, and on a generated 1,000-document corpus shaped like policies."""

from __future__ import annotations

import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import percentiles, save, timed
from knowledge.base import KnowledgeBase
from knowledge.embeddings import load_embedders
from knowledge.query_cache import QueryEmbeddingCache
from knowledge.retrieval import HybridSearcher

SHARED_EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "dev_questions.json"
CN = "一二三四五六七八九十"
CITIES = ["长沙", "株洲", "湘潭", "衡阳", "岳阳", "常德", "益阳", "郴州", "永州", "怀化"]
INGEST_BATCH = 100  # documents per KnowledgeBase.ingest_many call, as `policy-assistant ingest` does
TOPICS = ["智能硬件", "垂类大模型", "算力平台", "数据标注", "数据交易", "人才引进", "应用场景", "开源项目", "智能芯片", "金融支持"]


def questions() -> list[str]:
    if SHARED_EVAL.exists():
        return [c["q"] for c in json.loads(SHARED_EVAL.read_text(encoding="utf-8"))["cases"]]
    return ["我们做陪伴机器人的，今年新品卖得不错，有补贴吗", "政策有效期多久", "平台运营补贴总共封顶多少"]


def generated_policy(rng: random.Random, n: int) -> str:
    city = rng.choice(CITIES)
    lines = [f"ZXCR—2026—{n:05d}", f"{city}政办发〔2026〕{n}号", f"{city}市人民政府办公室", "2026年3月1日",
             "（此件主动公开）", f"{city}市促进{rng.choice(TOPICS)}发展若干措施（第{n}号）",
             f"为推动{city}市{rng.choice(TOPICS)}高质量发展，结合本市实际，制定本措施，请各单位认真组织实施。"]
    for i in range(rng.randint(4, 8)):
        topic = rng.choice(TOPICS)
        rate, cap = rng.choice([5, 10, 20, 30]), rng.choice([10, 50, 100, 200, 500])
        lines.append(f"{CN[i]}、支持{topic}发展。鼓励企业开展{topic}研发和推广应用，对符合条件的项目，"
                     f"按照投入的{rate}%，给予最高{cap}万元奖励。对成效突出的单位另行给予支持。（责任单位：{city}市工业和信息化局）")
    lines.append("本措施自公布之日起施行，有效期3年。同一项目不重复享受同类补助。")
    return "\n\n".join(lines)


def bench_corpus(embedders) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp), embedders)
        start = time.perf_counter()
        kb.ensure_corpus()
        build_s = time.perf_counter() - start
        searcher = HybridSearcher(kb)
        qs = questions()
        for q in qs:  # warm up
            searcher.search(q, 5)
        samples = []
        for _ in range(5):
            searcher.cache = QueryEmbeddingCache()  # every pass asks questions new to the cache
            for q in qs:
                samples += timed(lambda q=q: searcher.search(q, 5), 1)
        return {"chunks": len(kb.chunks), "build_s": round(build_s, 2), "search": percentiles(samples)}


def bench_large(embedders, n_docs: int) -> dict:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp) / "data", embedders)
        kb.ensure_corpus()
        texts = [(f"gen-{i:04d}", generated_policy(rng, i)) for i in range(n_docs)]
        start, cpu = time.perf_counter(), time.process_time()
        for first in range(0, len(texts), INGEST_BATCH):
            kb.ingest_many([(text, doc_id, "") for doc_id, text in texts[first : first + INGEST_BATCH]])
        build_s, build_cpu_s = time.perf_counter() - start, time.process_time() - cpu
        unique = len({c.search_text for c in kb.chunks.values()})
        searcher = HybridSearcher(kb)
        start = time.perf_counter()
        searcher.search("热身", 5)  # builds the keyword indexes once
        keyword_build_s = time.perf_counter() - start
        qs = questions()
        samples = []
        for _ in range(3):
            searcher.cache = QueryEmbeddingCache()
            for q in qs:
                samples += timed(lambda q=q: searcher.search(q, 5), 1)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"documents": n_docs + 1, "chunks": len(kb.chunks), "distinct_passages": unique, "build_s": round(build_s, 1),
                "build_cpu_s": round(build_cpu_s, 1),
                "keyword_index_build_s": round(keyword_build_s, 2), "search": percentiles(samples),
                "peak_rss_mb": round(peak_mb)}


def main(n_docs: int = 1000) -> dict:
    embedders = load_embedders("e5")
    result = {"corpus": bench_corpus(embedders), "generated": bench_large(embedders, n_docs)}
    save("knowledge", result)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
