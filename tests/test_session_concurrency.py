"""One session, one writer, across processes: `serve` with 2 workers on SQLite and on Redis, 10 sessions × 8 turns
sent at once to each → every turn and every fact is in the session. On Redis the server also has keys and a rate
limit: the limit is shared by both workers.
"""

import json
import shutil
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import LiveServer, copy_index, free_port, running

# eight messages, each stating a fact the others do not touch
MESSAGES = ["我们公司在长沙市注册", "企业上年度对地方的经济贡献约500万元", "我们是国家人工智能揭榜挂帅优胜单位", "我们是数据标注企业",
            "我们希望获得专项信贷支持", "企业已入选国家级企业库", "我们在引进人工智能顶尖人才", "我们的场景已入选人工智能+标杆型场景"]
FIRST = "政策有效期多久"
BACKEND_KEY, HOTLINE_KEY = "concurrency-backend-key-7f3a", "concurrency-hotline-key-2b9c"
SHARED_LIMIT = 12
RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"


def call(url, payload=None, key=None, method=None):
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def fact_items(facts: dict) -> set:
    """(name, value) pairs, project facts without their project's position."""
    items = {(k, json.dumps(v)) for k, v in facts.items() if k != "projects"}
    for project in facts.get("projects", []):
        items |= {(k, json.dumps(v)) for k, v in project.items()}
    return items


def worker_count(pid: int) -> int:
    children = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children += int(fields[1]) == pid and "python" in (stat.parent / "cmdline").read_bytes().decode(errors="replace")
    return children


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def server(request, tmp_path_factory, built_data_dir):
    store = request.param
    base = tmp_path_factory.mktemp(f"two-workers-{store}")
    env = {"POLICY_WORKERS": "2"}
    if store == "sqlite":
        live = LiveServer(copy_index(built_data_dir, base / "data"), env=env).start(timeout=180)
        yield store, live, None
        live.stop()
        return
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.fail("redis-server is not installed (.ci/run installs it)")
    port = free_port()
    keys = base / "keys.json"
    keys.write_text(json.dumps([{"name": "backend", "key": BACKEND_KEY, "may_act_for_users": True},
                                {"name": "hotline", "key": HOTLINE_KEY}]))
    with running([redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                  "--dir", str(base)], port):
        env |= {"POLICY_SESSION_URL": f"redis://127.0.0.1:{port}/0", "POLICY_KEYS_FILE": str(keys),
                "POLICY_RATE_LIMIT": f"{SHARED_LIMIT}/minute"}
        live = LiveServer(copy_index(built_data_dir, base / "data"), env=env).start(timeout=180)
        yield store, live, BACKEND_KEY
        live.stop()


def test_concurrent_turns_to_one_session_keep_every_turn_and_fact(server):
    store, live, key = server
    assert worker_count(live.process.pid) >= 2
    # what each message states on its own, in a fresh session: all of it must be in the shared one
    expected = set()
    for n, message in enumerate(MESSAGES):
        status, alone = call(live.url + "/v1/chat", {"message": message, "user_id": f"probe-{n}"}, key)
        assert status == 200 and alone["facts"], (message, alone)
        expected |= fact_items(alone["facts"])
    sessions = {}
    for n in range(10):
        status, body = call(live.url + "/v1/chat", {"message": FIRST, "user_id": f"openid-{n}"}, key)
        assert status == 200
        sessions[n] = body["session_id"]
    jobs = [(n, message) for message in MESSAGES for n in range(10)]
    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(lambda job: call(live.url + "/v1/chat", {
            "message": job[1], "session_id": sessions[job[0]], "user_id": f"openid-{job[0]}"}, key)[0], jobs))
    assert Counter(statuses) == {200: 80}
    turns_kept = facts_kept = 0
    for n, sid in sessions.items():
        status, session = call(f"{live.url}/v1/sessions/{sid}?user_id=openid-{n}", key=key)
        assert status == 200
        users = [t["text"] for t in session["turns"] if t["role"] == "user"]
        assert users[0] == FIRST and Counter(users[1:]) == Counter(MESSAGES)
        assert [t["role"] for t in session["turns"]] == ["user", "assistant"] * 9
        turns_kept += len(users) - 1
        facts_kept += len(expected & fact_items(session["facts"]))
        assert expected <= fact_items(session["facts"]), expected - fact_items(session["facts"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"concurrency-{store}.json").write_text(json.dumps({
        "store": store, "workers": 2, "sessions": 10, "turns_sent": 80, "turns_kept": turns_kept,
        "facts_expected": 10 * len(expected), "facts_kept": facts_kept}))


@pytest.mark.parametrize("server", ["redis"], indirect=True)
def test_two_workers_share_one_rate_limit_through_redis(server):
    _, live, _ = server
    payload = {"facts": {"product_category": "smart_hardware", "new_product_sales_increment_yuan": 5_000_000}}
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda _: call(live.url + "/v1/estimate", payload, HOTLINE_KEY)[0], range(3 * SHARED_LIMIT)))
    # each worker counting alone would let up to twice the limit through
    assert Counter(statuses) == {200: SHARED_LIMIT, 429: 2 * SHARED_LIMIT}
    # a key with no right to act for users does not escape its limit by writing user_ids
    status, _ = call(live.url + "/v1/chat", {"message": FIRST, "user_id": "fresh-user"}, HOTLINE_KEY)
    assert status == 429
