"""The staff pages in Debian's chromium (Playwright): an admin logs in, filters to 👎 answers, opens one, sees the
facts with their sources and the trace, exports it as a case that `policy-assistant eval` runs; an enterprise key
gets nowhere."""

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import VENV_BIN, LiveServer, chromium, copy_index
from tests.test_ui_browser import ARTIFACTS

ADMIN, ENTERPRISE = "browser-admin-key-7f3a", "browser-enterprise-key-91c2"
AWARD = "我们做智能机器人，今年新产品销售增量800万元，能拿多少奖励？"


@pytest.fixture(scope="module")
def staff_server(tmp_path_factory, built_data_dir):
    root = tmp_path_factory.mktemp("staff-live")
    server = LiveServer(copy_index(built_data_dir, root / "data"),
                        env={"POLICY_ADMIN_KEYS": ADMIN, "POLICY_API_KEYS": ENTERPRISE}).start()
    headers = {"authorization": f"Bearer {ENTERPRISE}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
        down = client.post("/v1/chat", json={"message": AWARD, "channel": "hotline", "user_id": "caller-5"}).json()
        client.post("/v1/feedback", json={"session_id": down["session_id"], "rating": "down", "reason": "没有说明申报材料"},
                    params={"user_id": "caller-5"})  # the session is caller-5's
        client.post("/v1/chat", json={"message": "政策有效期多久？", "channel": "web"})
        client.post("/v1/chat", json={"message": "明天长沙会下雨吗？", "channel": "wechat"})
    server.down_session = down["session_id"]
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


def login(browser, server, key):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server.url + "/staff/", wait_until="load")
    assert page.url.endswith("/staff/login")  # the pages are behind the login
    page.get_by_label("管理员密钥").fill(key)
    page.locator("#submit").click()
    return page


def test_admin_reviews_a_thumbs_down_answer_and_exports_it_as_a_case(browser, staff_server, built_data_dir, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    page = login(browser, staff_server, ADMIN)
    page.wait_for_url(staff_server.url + "/staff/")
    page.locator("#conversations tbody tr").first.wait_for()
    assert page.locator("#conversations tbody tr").count() == 3
    page.locator("#f-feedback").select_option("down")
    page.locator("#apply").click()
    page.locator("#count").get_by_text("共 1 个会话").wait_for()
    row = page.locator("#conversations tbody tr")
    assert row.count() == 1 and row.get_attribute("data-session") == staff_server.down_session
    page.screenshot(path=str(ARTIFACTS / "staff-review.png"), full_page=True)
    row.click()
    page.wait_for_url("**/staff/conversation?id=*")
    turn = page.locator("section.turn").first
    fact = turn.locator("li.fact[data-fact=new_product_sales_increment_yuan]")
    fact.wait_for()
    assert "新产品销售增量" in fact.inner_text()  # the fact's label, not its identifier
    assert "8,000,000" in fact.inner_text() and "销售增量800万元" in fact.locator("q.source").inner_text()
    turn.locator(".trace").get_by_text("10%").first.wait_for()
    assert "800,000" in turn.locator(".estimates").inner_text()
    turn.locator(".feedback").get_by_text("没有说明申报材料").wait_for()
    assert ADMIN not in page.content() and ENTERPRISE not in page.content()
    page.screenshot(path=str(ARTIFACTS / "staff-conversation.png"), full_page=True)

    assert page.locator(".expect-article").first.input_value() == "1"
    assert page.locator(".expect-ceiling").first.input_value() == "800000"
    with page.expect_download() as download:
        page.locator("#export-case").click()
    export = tmp_path / "office_cases.json"
    download.value.save_as(export)
    page.locator("#notice").get_by_text("已导出测试用例").wait_for()
    data = json.loads(export.read_text(encoding="utf-8"))
    assert data["cases"][0]["turns"] == [AWARD] and data["cases"][0]["expect"] == {"1": 800_000}
    assert "user_id" not in data["cases"][0]["source"]  # dropped by default on the page

    with page.expect_download() as pdf:
        page.locator("#packet-pdf").click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")

    data_dir = copy_index(built_data_dir, tmp_path / "eval-data")
    result = subprocess.run([str(VENV_BIN / "policy-assistant"), "eval", str(export)], capture_output=True, text=True,
                            env={**os.environ, "POLICY_DATA_DIR": str(data_dir)}, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "award accuracy 1/1" in result.stdout


def test_admin_sees_statistics_with_charts(browser, staff_server):
    page = login(browser, staff_server, ADMIN)
    page.wait_for_url(staff_server.url + "/staff/")
    page.goto(staff_server.url + "/staff/stats", wait_until="load")
    page.locator("#totals-line").get_by_text("会话 3").wait_for()
    page.wait_for_function("[...document.querySelectorAll('img.chart')].length === 4 && "
                           "[...document.querySelectorAll('img.chart')].every(i => i.complete && i.naturalWidth > 0)")
    page.get_by_text("明天长沙会下雨吗？").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "staff-stats.png"), full_page=True)


def test_an_enterprise_key_gets_nowhere(browser, staff_server):
    page = login(browser, staff_server, ENTERPRISE)
    page.locator("#message").get_by_text("仅限工作人员").wait_for()
    for path in ("/staff/", "/staff/stats", f"/staff/conversation?id={staff_server.down_session}", "/staff/staff.js"):
        page.goto(staff_server.url + path, wait_until="load")
        assert page.url.endswith("/staff/login"), path
    headers = {"authorization": f"Bearer {ENTERPRISE}"}
    for path in ("/v1/staff/conversations", "/v1/staff/stats", f"/v1/staff/conversations/{staff_server.down_session}",
                 "/v1/staff/export", "/v1/staff/stats/per_programme.csv", "/v1/staff/charts/missing_facts.png",
                 f"/v1/staff/conversations/{staff_server.down_session}/packet"):
        assert page.request.get(staff_server.url + path, headers=headers).status == 403, path
    assert page.context.cookies() == [] or all(c["name"] != "policy_staff" for c in page.context.cookies())
