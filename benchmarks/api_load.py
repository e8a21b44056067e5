"""Load on a real server from this (second) process, on loopback only; bounded in count and time.

/v1/chat and /v1/search with 1, 8 and 32 concurrent clients; then 50 sessions × 20 turns, checking that
no turn errs, is lost or is reordered. Also how long the server takes to answer /healthz from a built index.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from benchmarks.common import free_port, percentiles, save

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHAT_MESSAGES = ["我们做智能可穿戴设备，今年新产品销售增量500万元，能拿多少奖励？", "政策有效期多久",
                 "国家级智能标注公共服务平台，年度运营费用250万元，一年能拿多少运营奖励？", "AI企业贷款难，有没有银行方面的支持",
                 "我们基于网信办备案的大模型开发了交通出行垂类大模型，已登记，年度模型购买费用100万元，能奖多少？",
                 "我们做陪伴机器人的，今年新品卖得不错，有补贴吗"]
SEARCHES = ["平台运营奖励累计上限", "揭榜挂帅优胜单位", "数据标注企业扶持", "人才引进政策", "AI眼镜销售奖励"]


def start_server(data_dir: Path, port: int, workers: int) -> tuple[subprocess.Popen, float]:
    started = time.perf_counter()
    env = {"POLICY_DATA_DIR": str(data_dir), "PATH": str(BIN) + ":/usr/bin:/bin", "HF_HUB_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False"}
    process = subprocess.Popen([str(BIN / "policy-assistant"), "serve", "--port", str(port), "--workers", str(workers)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while time.perf_counter() - started < 120:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process, time.perf_counter() - started
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise TimeoutError("server did not start")


def load(url: str, path: str, bodies: list[dict], clients: int, requests: int) -> dict:
    def one(i: int) -> tuple[float, int]:
        start = time.perf_counter()
        r = client.post(url + path, json=bodies[i % len(bodies)])
        return (time.perf_counter() - start) * 1000, r.status_code

    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=clients)) as client:
        one(0)
        wall = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(one, range(requests)))
        wall = time.perf_counter() - wall
    errors = sum(1 for _, status in results if status != 200)
    return {**percentiles([ms for ms, _ in results]), "per_second": round(requests / wall, 1), "errors": errors}


def sessions_soak(url: str, sessions: int = 50, turns: int = 20) -> dict:
    def talk(n: int) -> tuple[str, list[str], int]:
        errors, sent, sid = 0, [], None
        with httpx.Client(timeout=60) as client:
            for t in range(turns):
                message = f"第{t + 1}问：机器人新品销售增量{n + t + 1}00万元" if t % 2 == 0 else f"第{t + 1}问：能拿多少"
                r = client.post(url + "/v1/chat", json={"message": message, "session_id": sid, "user_id": f"soak-{n}"})
                errors += r.status_code != 200
                if r.status_code == 200:
                    sid = r.json()["session_id"]
                    sent.append(message)
        return sid, sent, errors

    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(talk, range(sessions)))
    wall = time.perf_counter() - start
    lost = reordered = 0
    with httpx.Client(timeout=60) as client:
        for sid, sent, _ in results:
            stored = [t["text"] for t in client.get(f"{url}/v1/sessions/{sid}").json()["turns"] if t["role"] == "user"]
            lost += len(sent) - len(stored)
            reordered += stored != sent
    return {"sessions": sessions, "turns_each": turns, "errors": sum(e for *_, e in results), "lost_turns": lost,
            "reordered_sessions": reordered, "seconds": round(wall, 1), "turns_per_second": round(sessions * turns / wall, 1)}


def main(workers: int = 1) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        builder, _ = start_server(data, free_port(), 1)  # first start builds the index
        builder.terminate()
        builder.wait(30)
        shutil.rmtree(data / "sessions.sqlite3", ignore_errors=True)
        port = free_port()
        server, ready_s = start_server(data, port, workers)
        url = f"http://127.0.0.1:{port}"
        try:
            result = {"workers": workers, "ready_from_built_index_s": round(ready_s, 2)}
            first = time.perf_counter()
            httpx.post(url + "/v1/chat", json={"message": "政策有效期多久"}, timeout=60)
            result["first_search_turn_after_ready_ms"] = round((time.perf_counter() - first) * 1000)
            for _ in range(workers * 4):  # every worker past its background warm-up before measuring
                httpx.post(url + "/v1/search", json={"query": "人工智能奖励"}, timeout=60)
            chat_bodies = [{"message": m} for m in CHAT_MESSAGES]
            award_bodies = [{"message": m} for m in CHAT_MESSAGES if "万元" in m]
            search_bodies = [{"query": q, "top_k": 5} for q in SEARCHES]
            for clients in (1, 8, 32):
                n = 60 if clients == 1 else 160
                result[f"chat_mixed_{clients}"] = load(url, "/v1/chat", chat_bodies, clients, n)
                result[f"chat_award_{clients}"] = load(url, "/v1/chat", award_bodies, clients, n)
                result[f"search_{clients}"] = load(url, "/v1/search", search_bodies, clients, n)
            result["soak"] = sessions_soak(url)
        finally:
            server.terminate()
            server.wait(30)
    save(f"api-load-{workers}w", result)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
