"""Against a real server process: the official openai client, schemathesis, and a killed server's sessions."""

import json
import subprocess
import urllib.request

from conftest import VENV_BIN, LiveServer


def post(url, payload):
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def test_the_official_openai_client(live_server):
    from openai import OpenAI

    client = OpenAI(base_url=live_server.url + "/v1", api_key="unused")
    completion = client.chat.completions.create(model="changsha-policy-assistant", messages=[
        {"role": "user", "content": "我们做AR眼镜，新品销售增量600万元，能拿多少？"}])
    assert "600,000 元" in completion.choices[0].message.content
    extra = completion.model_extra["policy_assistant"]
    assert extra["estimates"][0]["ceiling_yuan"] == 600_000 and extra["citations"]
    stream = client.chat.completions.create(model="x", stream=True, messages=[{"role": "user", "content": "政策有效期多久"}])
    pieces, last = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        last = chunk
    assert "有效期3年" in "".join(pieces)
    assert last.choices[0].finish_reason == "stop" and last.model_extra["policy_assistant"]["in_scope"] is True


def test_schemathesis_finds_no_server_error(live_server, tmp_path):
    # one worker: with two, Hypothesis describing its recursive JSON strategy (the OpenAI request accepts any extra
    # field) in a worker thread once hit CPython 3.11's "AST constructor recursion depth mismatch" — a tool error
    report = tmp_path / "events.ndjson"
    result = subprocess.run(
        [str(VENV_BIN / "schemathesis"), "run", live_server.url + "/openapi.json",
         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
         "--max-examples", "140", "--seed", "7", "--workers", "1", "--suppress-health-check", "all",
         "--report", "ndjson", "--report-ndjson-path", str(report)],
        capture_output=True, text=True, timeout=1500, cwd=tmp_path)  # its cache (.schemathesis/) stays out of the checkout
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    log = live_server.log_path.read_text(errors="replace")
    requests = sum(1 for line in log.splitlines() if "policy_assistant.access" in line and '"' in line)
    assert requests >= 1000, f"only {requests} requests were generated"
    assert get(live_server.url + "/healthz")["status"] == "ok"


def test_turns_survive_a_killed_server(fresh_data_dir):
    first = LiveServer(fresh_data_dir).start()
    try:
        reply = post(first.url + "/v1/chat", {"message": "机器人新品销售增量800万", "user_id": "u1"})
        post(first.url + "/v1/chat", {"message": "刚才说错了，是900万", "session_id": reply["session_id"]})
    finally:
        first.stop(kill=True)
    second = LiveServer(fresh_data_dir).start()
    try:
        session = get(f"{second.url}/v1/sessions/{reply['session_id']}")
        assert [t["text"] for t in session["turns"] if t["role"] == "user"] == ["机器人新品销售增量800万", "刚才说错了，是900万"]
        assert session["facts"]["projects"][0]["new_product_sales_increment_yuan"] == 9_000_000
        again = post(second.url + "/v1/chat", {"message": "能拿多少", "session_id": reply["session_id"]})
        assert again["estimates"][0]["ceiling_yuan"] == 900_000
    finally:
        second.stop()
