"""The staff area in-process: admin-only access, review and its filters, expected answers exported as eval cases,
case packets (JSON and PDF read back with pypdf), and retention over everything the journal keeps."""

import io
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.config import Settings
from assistant.evaluation import evaluate_awards, load_eval_file
from assistant.journal import Journal
from assistant.sessions import SQLiteSessionStore
from assistant.turn import Assistant

ADMIN, ENTERPRISE = "staff-key-0001-admin", "enterprise-key-0002"
AWARD = "我们做智能可穿戴设备，今年新产品销售增量500万元，能拿多少奖励？"
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


@pytest.fixture
def staff(policy_kb, searcher, tmp_path):
    journal = Journal(tmp_path / "journal.sqlite3")
    assistant = Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "sessions.sqlite3"), journal=journal)
    settings = Settings(data_dir=tmp_path, api_keys=(ENTERPRISE,), admin_keys=(ADMIN,))
    client = TestClient(create_app(settings, assistant, with_ui=False))
    client.assistant, client.journal = assistant, journal
    return client


def as_enterprise():
    return {"authorization": f"Bearer {ENTERPRISE}"}


def as_admin():
    return {"authorization": f"Bearer {ADMIN}"}


def chat(client, message, session_id=None, channel="web", user_id=None):
    r = client.post("/v1/chat", json={"message": message, "session_id": session_id, "channel": channel, "user_id": user_id},
                    headers=as_enterprise())
    assert r.status_code == 200, r.text
    return r.json()


def staff_routes(app):
    """Every staff page and endpoint, with its path parameters filled in."""
    out = []
    for route in app.routes:
        path = getattr(route, "path", "")
        if not (path.startswith("/v1/staff") or path.startswith("/staff")) or path in {"/staff/login", "/v1/staff/login",
                                                                                     "/v1/staff/logout", "/staff"}:
            continue
        for method in sorted(route.methods - {"HEAD"}):
            filled = (path.replace("{session_id}", "x").replace("{table}", "per_programme").replace("{name}", "missing_facts")
                      .replace("{page:path}", "stats"))
            out.append((method, filled))
    return out


def test_every_staff_page_and_endpoint_refuses_an_enterprise_key(staff):
    routes = staff_routes(staff.app)
    assert len(routes) >= 10
    pages = [("GET", f"/staff/{p}") for p in ("", "conversation", "stats", "staff.js", "staff.css")]
    for method, path in routes + pages:
        body = {"expect": {"1": 1}} if method == "PUT" else None
        for headers, cookies in [({}, {}), (as_enterprise(), {}), ({}, {"policy_staff": ENTERPRISE}),
                                 ({}, {"policy_staff": "9999999999.forged"})]:
            staff.cookies.clear()
            for k, v in cookies.items():
                staff.cookies.set(k, v)
            r = staff.request(method, path, json=body, headers=headers, follow_redirects=False)
            if path.startswith("/staff"):
                assert r.status_code == 303 and r.headers["location"] == "/staff/login", (path, headers, r.status_code)
            else:
                assert r.status_code in {401, 403}, (method, path, headers, r.status_code)
                assert r.json()["error"]["code"] in {"unauthorized", "forbidden"}
    staff.cookies.clear()
    r = staff.post("/v1/staff/login", json={}, headers=as_enterprise())
    assert r.status_code == 403 and "policy_staff" not in r.cookies
    assert staff.get("/staff/login").status_code == 200  # the login page itself is open
    assert staff.get("/v1/staff/options", headers=as_admin()).status_code == 200


def test_login_cookie_opens_the_pages_and_never_holds_the_key(staff):
    r = staff.post("/v1/staff/login", json={}, headers=as_admin())
    assert r.status_code == 204
    cookie = staff.cookies.get("policy_staff")
    assert cookie and ADMIN not in cookie and re.fullmatch(r"\d+\.[0-9a-f]{64}", cookie)
    assert staff.get("/staff/", follow_redirects=False).status_code == 200
    assert staff.get("/v1/staff/conversations").status_code == 200
    staff.post("/v1/staff/logout", json={})
    assert staff.get("/staff/", follow_redirects=False).status_code == 303


def test_staff_area_is_closed_without_admin_keys(policy_kb, searcher, tmp_path):
    assistant = Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "s.sqlite3"), journal=Journal(tmp_path / "j.sqlite3"))
    client = TestClient(create_app(Settings(data_dir=tmp_path), assistant, with_ui=False))
    r = client.get("/v1/staff/conversations", headers={"authorization": "Bearer anything"})
    assert r.status_code == 403 and "POLICY_ADMIN_KEYS" in r.json()["error"]["message"]


def test_review_filters_detail_mark_and_export_runs_as_an_eval(staff, tmp_path):
    award = chat(staff, AWARD, channel="hotline", user_id="caller-17")
    follow = chat(staff, "我们是做垂类大模型的，有什么奖励？", channel="wechat")
    out = chat(staff, "明天长沙会下雨吗？", channel="web")
    assert out["in_scope"] is False and follow["follow_up"]
    feedback = {"session_id": award["session_id"], "rating": "down", "reason": "应当说明申报时间"}
    assert staff.post("/v1/feedback", json=feedback, headers=as_enterprise()).status_code == 404  # not the session's user
    assert staff.post("/v1/feedback", json=feedback, params={"user_id": "caller-17"}, headers=as_enterprise()).status_code == 201

    def ids(**params):
        r = staff.get("/v1/staff/conversations", params=params, headers=as_admin())
        assert r.status_code == 200, r.text
        return {c["session_id"] for c in r.json()["conversations"]}

    assert ids() == {award["session_id"], follow["session_id"], out["session_id"]}
    assert ids(feedback="down") == {award["session_id"]}
    assert ids(feedback="none") == {follow["session_id"], out["session_id"]}
    assert ids(channel="wechat") == {follow["session_id"]}
    assert ids(out_of_scope="true") == {out["session_id"]}
    assert ids(confirm="true") == {follow["session_id"]}
    assert ids(programme="smart-hardware-new-product") == {award["session_id"]}
    assert ids(since="2000-01-01", until="2000-01-02") == set()
    assert staff.get("/v1/staff/conversations", params={"feedback": "meh"}, headers=as_admin()).status_code == 422

    detail = staff.get(f"/v1/staff/conversations/{award['session_id']}", headers=as_admin()).json()
    turn = detail["turns"][0]
    assert turn["message"] == AWARD and turn["composer"] == "deterministic"
    assert turn["feedback"][0]["rating"] == "down" and turn["feedback"][0]["reason"] == "应当说明申报时间"
    increment = next(s for s in turn["fact_sources"] if s["fact"] == "new_product_sales_increment_yuan")
    assert increment["value"] == 5_000_000 and "500万" in increment["quote"]
    assert turn["estimates"][0]["ceiling_yuan"] == 500_000 and any("10%" in t for t in turn["estimates"][0]["trace"])
    assert turn["citations"] and detail["user_id"] == "caller-17"
    assert staff.get("/v1/staff/conversations/nope", headers=as_admin()).status_code == 404

    r = staff.put(f"/v1/staff/conversations/{award['session_id']}/expected", json={"expect": {"1": 500_000}, "total": 500_000},
                  headers=as_admin())
    assert r.status_code == 200 and r.json()["turn"] == 0
    staff.put(f"/v1/staff/conversations/{out['session_id']}/expected", json={"out_of_scope": True}, headers=as_admin())
    assert staff.put(f"/v1/staff/conversations/{out['session_id']}/expected", json={"turn": 5, "out_of_scope": True},
                     headers=as_admin()).status_code == 422
    assert staff.put(f"/v1/staff/conversations/{out['session_id']}/expected", json={}, headers=as_admin()).status_code == 422

    exported = staff.get("/v1/staff/export", params={"drop_user_ids": "true"}, headers=as_admin())
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    data = exported.json()
    assert data["cases"][0]["turns"] == [AWARD] and data["cases"][0]["expect"] == {"1": 500_000}
    assert "user_id" not in data["cases"][0]["source"] and "caller-17" not in exported.text
    assert data["out_of_scope"] == ["明天长沙会下雨吗？"]
    kept = staff.get("/v1/staff/export", headers=as_admin()).json()
    assert kept["cases"][0]["source"]["user_id"] == "caller-17"
    path = tmp_path / "export.json"
    path.write_text(exported.text, encoding="utf-8")
    report = evaluate_awards(lambda m, sid: staff.assistant.chat(m, sid).model_dump(), load_eval_file(path))
    assert report.total == 1 and report.passed == 1 and report.out_of_scope_passed == 1 and not report.failures
    # a wrong marking is a failing case: the export is a test that can fail
    staff.put(f"/v1/staff/conversations/{award['session_id']}/expected", json={"expect": {"1": 400_000}}, headers=as_admin())
    wrong = staff.get("/v1/staff/export", headers=as_admin()).json()
    assert evaluate_awards(lambda m, sid: staff.assistant.chat(m, sid).model_dump(), wrong).failures
    for response in (exported, staff.get("/v1/staff/options", headers=as_admin())):
        assert ADMIN not in response.text and ENTERPRISE not in response.text


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def test_packet_json_and_pdf_hold_every_figure_and_quote(staff):
    if not FONT.exists():
        pytest.fail(f"{FONT} is missing (.ci/run installs fonts-wqy-microhei)")
    first = chat(staff, "同一个项目里，我们智能可穿戴新品销售增量900万元，这个项目开发的垂类大模型也已在网信办登记，"
                        "年度模型购买费用400万元，总共能拿多少？")
    last = chat(staff, "另外我们还运营一个国家级智能标注公共服务平台，年度运营费用250万元。", first["session_id"])
    sid = first["session_id"]
    packet = staff.get(f"/v1/sessions/{sid}/packet", headers=as_enterprise())
    assert packet.status_code == 200 and packet.headers["content-type"].startswith("application/json")
    body = packet.json()
    assert [e["ceiling_yuan"] for e in body["estimates"]] == [e["ceiling_yuan"] for e in last["estimates"]]
    assert body["total_ceiling_yuan"] == last["total_ceiling_yuan"] and body["based_on"] == "journal"
    assert all(e["policy_quote"] and e["trace"] and e["responsible_unit"] for e in body["estimates"])
    assert {u["unit"] for u in body["responsible_units"]} >= {"市工业和信息化局"}
    assert any(s["fact"] == "platform_operating_cost_yuan" and "250万" in s["quote"] for s in body["fact_sources"])

    pdf = staff.get(f"/v1/sessions/{sid}/packet", headers={**as_enterprise(), "accept": "application/pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    figures = {n for e in last["estimates"] for n in (e["ceiling_yuan"], e["cap_yuan"]) if n is not None}
    figures |= {last["total_ceiling_yuan"]} - {None}
    quotes = [c["quote"] for c in last["citations"]] + [e["policy_quote"] for e in body["estimates"]]
    assert figures and quotes
    for figure in figures:
        assert f"{figure:,}" in text, figure
    for quote in quotes:
        assert re.sub(r"\s+", "", quote) in text, quote
    for step in (t for e in last["estimates"] for t in e["trace"]):
        assert re.sub(r"\s+", "", step) in text, step
    for step in (s for e in last["estimates"] for s in e.get("steps") or []):  # once the engine gives typed steps
        for value in step.values():
            if isinstance(value, int) and not isinstance(value, bool):
                assert f"{value:,}" in text, step
    assert "250万" in text  # the person's own words, as the source of a fact

    staff_pdf = staff.get(f"/v1/staff/conversations/{sid}/packet", params={"format": "pdf"}, headers=as_admin())
    assert staff_pdf.status_code == 200 and staff_pdf.content.startswith(b"%PDF")
    assert staff.get("/v1/sessions/nope/packet", headers=as_enterprise()).status_code == 404
    assert staff.get(f"/v1/sessions/{sid}/packet").status_code == 401


def test_packet_pdf_without_a_cjk_font_says_so(policy_kb, searcher, tmp_path):
    assistant = Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "s.sqlite3"), journal=Journal(tmp_path / "j.sqlite3"))
    client = TestClient(create_app(Settings(data_dir=tmp_path, pdf_font=tmp_path / "none.ttc"), assistant, with_ui=False))
    sid = client.post("/v1/chat", json={"message": AWARD}).json()["session_id"]
    r = client.get(f"/v1/sessions/{sid}/packet", headers={"accept": "application/pdf"})
    assert r.status_code == 406 and "fonts-wqy-microhei" in r.json()["error"]["message"]
    assert client.get(f"/v1/sessions/{sid}/packet").status_code == 200


def test_retention_covers_every_table(staff):
    award = chat(staff, AWARD)
    staff.post("/v1/feedback", json={"session_id": award["session_id"], "rating": "down"}, headers=as_enterprise())
    staff.put(f"/v1/staff/conversations/{award['session_id']}/expected", json={"expect": {"1": 500_000}}, headers=as_admin())
    other = chat(staff, "明天长沙会下雨吗？")
    journal = staff.journal
    tables = ["journal_turns", "feedback", "journal_turn_flags", "journal_estimates", "journal_conversations", "expected_answers"]

    def count(table, sid):
        return journal.query(f"SELECT COUNT(*) FROM {table} WHERE session_id = ?", (sid,))[0][0]

    assert all(count(t, award["session_id"]) for t in tables)
    journal.forget(other["session_id"])
    assert not any(count(t, other["session_id"]) for t in tables + ["journal_missing"])
    assert journal.purge("9999-01-01") == 1
    assert not any(count(t, award["session_id"]) for t in tables + ["journal_missing"])


def test_older_journal_is_indexed_on_open(tmp_path):
    import sqlite3

    path = tmp_path / "journal.sqlite3"
    reply = {"in_scope": True, "estimates": [{"program_id": "p", "article": "1", "status": "eligible", "ceiling_yuan": 5,
                                              "missing": []}], "follow_up": ["?"]}
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE journal_turns (session_id TEXT NOT NULL, turn INTEGER NOT NULL, at TEXT NOT NULL, channel TEXT, "
                 "owner TEXT, user_id TEXT, message TEXT NOT NULL, reply TEXT NOT NULL, PRIMARY KEY (session_id, turn))")
    conn.execute("INSERT INTO journal_turns VALUES ('a', 0, '2026-01-01T00:00:00', 'web', NULL, NULL, 'q', ?)", (json.dumps(reply),))
    conn.commit()
    conn.close()
    journal = Journal(path)
    assert journal.query("SELECT session_id, turns, confirm FROM journal_conversations") == [("a", 1, 1)]
    assert journal.query("SELECT program_id, ceiling_yuan FROM journal_estimates") == [("p", 5)]


def test_packet_without_a_journal_assesses_the_session_facts(policy_kb, searcher, tmp_path):
    assistant = Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "s.sqlite3"))
    client = TestClient(create_app(Settings(data_dir=tmp_path, admin_keys=(ADMIN,)), assistant, with_ui=False))
    sid = client.post("/v1/chat", json={"message": AWARD}).json()["session_id"]
    body = client.get(f"/v1/sessions/{sid}/packet").json()
    assert body["based_on"] == "engine" and body["estimates"][0]["ceiling_yuan"] == 500_000
    assert body["conversation"][0]["text"] == AWARD and body["estimates"][0]["policy_quote"]
    r = client.get("/v1/staff/conversations", headers=as_admin())
    assert r.status_code == 404 and "journal" in r.json()["error"]["message"]


def test_an_admin_from_the_keys_file_opens_the_staff_area(policy_kb, searcher, tmp_path):
    """The staff pages take the key registry's admin role: POLICY_KEYS_FILE admins too, a hotline key not."""
    import hashlib

    keys_file = tmp_path / "keys.yaml"
    office = "office-key-0003"
    keys_file.write_text(
        "keys:\n"
        f"  - {{name: policy-office, sha256: {hashlib.sha256(office.encode()).hexdigest()}, roles: [admin]}}\n"
        f"  - {{name: hotline, key: {ENTERPRISE}, roles: [enterprise], may_act_for_users: true}}\n", encoding="utf-8")
    assistant = Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "s.sqlite3"), journal=Journal(tmp_path / "j.sqlite3"))
    client = TestClient(create_app(Settings(data_dir=tmp_path, keys_file=keys_file), assistant, with_ui=False))
    assert client.get("/v1/staff/conversations", headers={"authorization": f"Bearer {office}"}).status_code == 200
    assert client.get("/v1/staff/conversations", headers=as_enterprise()).status_code == 403
    login = client.post("/v1/staff/login", json={}, headers={"authorization": f"Bearer {office}"})
    assert login.status_code == 204 and office not in login.headers.get("set-cookie", "")
    assert client.get("/v1/staff/conversations").status_code == 200  # the cookie, signed without the key itself
