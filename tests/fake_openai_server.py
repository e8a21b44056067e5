"""A real OpenAI-compatible HTTP server for the tests (chat completions, streaming or not).

    python fake_openai_server.py PORT MODE REQUEST_LOG
MODE: honest (returns the draft it was given, reworded), liar (says 5000万 and cites 第十二条),
wrong-article (honest but cites an article never retrieved), broken (HTTP 500);
extract-honest / extract-liar answer fact-extraction requests (JSON mode) truly or with invented values;
slow-honest / slow-liar stream a few characters every FAKE_LLM_DELAY seconds (default 0.1): the draft, and
for the liar an invented 5000万 in the middle followed by a long tail. Each streamed reply logs to
REQUEST_LOG.timing `{"event": "first", "at": unix time}` when its first token is sent and
`{"event": "end", "first_token_at", "last_token_at", "chunks"}` when it stops.
"""

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, MODE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
DELAY = float(os.environ.get("FAKE_LLM_DELAY", "0.1"))
LIE = "另外，您还可以额外获得5000万元奖励。"


EXTRACTED = {
    "extract-honest": {"facts": [
        {"fact": "product_category", "value": "smart_hardware", "quote": "会聊天的桌面小伙伴"},
        {"fact": "new_product_sales_increment_yuan", "value": 3_000_000, "quote": "今年新品比去年多卖了300万"}]},
    "extract-liar": {"facts": [
        {"fact": "product_category", "value": "smart_hardware", "quote": "会聊天的桌面小伙伴"},
        {"fact": "new_product_sales_increment_yuan", "value": 50_000_000, "quote": "多卖了300万"},
        {"fact": "model_registered", "value": "maybe", "quote": "我们的产品"},
        {"fact": "national_jiebang_winner", "value": True, "quote": "我们是国家揭榜挂帅优胜单位"},
        {"fact": "made_up_fact", "value": True, "quote": "我们的产品"}]},
}


def answer_for(body: dict) -> str:
    if body["messages"][0]["content"].startswith("从企业的话里提取事实"):
        return json.dumps(EXTRACTED.get(MODE, {}), ensure_ascii=False)
    material = json.loads(body["messages"][-1]["content"])
    if MODE == "liar":
        return "根据第十二条，您的企业可以获得5000万元奖励，请尽快申报。"
    if MODE == "wrong-article":
        return "整理如下：\n" + material["draft_answer"] + "\n另可参考第十二条。"
    if MODE == "slow-liar":
        head, _, rest = material["draft_answer"].partition("\n")
        return "整理如下：\n" + head + "\n" + LIE + "\n" + rest + "\n" + "以上仅供参考。" * 20
    return "整理如下：\n" + material["draft_answer"]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(body, ensure_ascii=False) + "\n")
        if MODE == "broken":
            self.send_response(500)
            self.end_headers()
            return
        text = answer_for(body)
        base = {"id": "chatcmpl-test", "created": int(time.time()), "model": body.get("model", "test")}
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            slow = MODE.startswith("slow-")
            size = 4 if slow else 20
            times = []
            for i in range(0, len(text), size):
                chunk = {**base, "object": "chat.completion.chunk",
                         "choices": [{"index": 0, "delta": {"content": text[i:i + size]}, "finish_reason": None}]}
                try:
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                except OSError:  # the client stopped reading (a guarded stream cut at a wrong figure)
                    break
                times.append(time.time())
                if len(times) == 1:
                    with open(LOG + ".timing", "a", encoding="utf-8") as f:
                        f.write(json.dumps({"event": "first", "at": times[0]}) + "\n")
                if slow:
                    time.sleep(DELAY)
            with open(LOG + ".timing", "a", encoding="utf-8") as f:
                f.write(json.dumps({"event": "end", "first_token_at": times[0], "last_token_at": times[-1],
                                    "chunks": len(times)}) + "\n")
            done = {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            try:
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
            except OSError:
                pass
            return
        payload = {**base, "object": "chat.completion", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
