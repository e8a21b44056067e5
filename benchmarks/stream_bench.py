"""Guarded LLM streaming against the local OpenAI-compatible test server, through the real HTTP API.

Time to first token: from the moment the fake LLM sends its first token to the moment the first `delta`
event of `/v1/chat/stream` reaches an HTTP client (both clocks on this machine). Fallback share: replies
that end in a `replaced` event — for an honest LLM these are the guard's false alarms, for a lying one
every reply should fall back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from benchmarks.common import free_port, percentiles, save

ROOT = Path(__file__).resolve().parent.parent
FAKE = ROOT / "tests" / "fake_openai_server.py"
QUESTIONS = ROOT / "tests" / "data" / "answer_questions.json"


def _wait(port: int, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError(port)


def _run(mode: str, questions: list[str], delay: float) -> dict:
    import uvicorn

    from api.app import create_app
    from assistant.config import Settings
    from assistant.runtime import open_assistant

    with tempfile.TemporaryDirectory() as tmp:
        llm_port, api_port, log = free_port(), free_port(), Path(tmp) / "llm.jsonl"
        fake = subprocess.Popen([sys.executable, str(FAKE), str(llm_port), mode, str(log)],
                                env={**os.environ, "FAKE_LLM_DELAY": str(delay)})
        settings = Settings(data_dir=Path(tmp) / "data", llm_base_url=f"http://127.0.0.1:{llm_port}/v1", llm_model="fake")
        app = create_app(settings, open_assistant(settings), with_ui=False)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=api_port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        try:
            _wait(api_port)
            ttft, replaced, seen = [], 0, 0
            for q in questions:
                first, kinds = None, []
                with httpx.stream("POST", f"http://127.0.0.1:{api_port}/v1/chat/stream", json={"message": q}, timeout=120) as r:
                    for line in r.iter_lines():
                        if line.startswith("event: "):
                            kinds.append(line[7:])
                            if line == "event: delta" and first is None:
                                first = time.time()
                timing = log.with_name(log.name + ".timing")
                firsts = [e["at"] for e in map(json.loads, timing.read_text().splitlines()) if e["event"] == "first"] \
                    if timing.exists() else []
                if len(firsts) > seen and first is not None:  # this request's first LLM token (requests run one by one)
                    ttft.append((first - firsts[seen]) * 1000)
                seen = len(firsts)
                replaced += "replaced" in kinds
        finally:
            server.should_exit = True
            fake.terminate()
            fake.wait(timeout=10)
    return {"mode": mode, "llm_delay_s_per_4_chars": delay, "replies": len(questions),
            "fell_back": replaced, "fallback_share": round(replaced / len(questions), 3),
            "time_to_first_token_after_llm": percentiles(ttft) if ttft else None}


def main(n: int = 20) -> dict:
    cases = json.loads(QUESTIONS.read_text(encoding="utf-8"))["cases"]
    questions = [c["q"] for c in cases if c.get("in_scope", True) and not c.get("before")][:n]
    result = {"honest": _run("slow-honest", questions, 0.02), "liar": _run("slow-liar", questions[: n // 2], 0.02)}
    save("stream", result)
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
