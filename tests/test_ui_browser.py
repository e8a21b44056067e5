"""The web UI in a real browser: Debian's chromium driven by Playwright (never `playwright install`).

Screenshots of every step go to tests/artifacts/ (gitignored), named by viewport and step.
"""

import io
import json
import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import chromium

ARTIFACTS = Path(__file__).with_name("artifacts")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium() as instance:
        yield instance


@pytest.fixture
def contexts():
    """Every browser context a test opens, closed after it: an open page keeps the server's streams open."""
    opened = []
    yield opened
    for context in opened:
        context.close()


def open_page(browser, url, contexts, **context):
    contexts.append(browser.new_context(locale="zh-CN", accept_downloads=True, **context))
    page = contexts[-1].new_page()
    page.set_default_timeout(30_000)
    page.goto(url + "/", wait_until="load")
    page.locator("#question textarea").wait_for()
    return page


def ask(page, question):
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def assert_amounts_fit(page, where):
    """Every amount's box lies inside the viewport: nothing to scroll sideways to read a figure."""
    width = page.evaluate("window.innerWidth")
    boxes = page.evaluate(f"""[...document.querySelectorAll('{where} .amount')]
        .filter(e => e.offsetParent !== null).map(e => {{ const r = e.getBoundingClientRect(); return [r.left, r.right, e.textContent]; }})""")
    assert boxes, f"no amount shown in {where}"
    for left, right, text in boxes:
        assert left >= 0 and right <= width, f"{text!r} lies at {left:.0f}–{right:.0f}px of a {width}px viewport"
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 2, "the page scrolls sideways"


def pdf_text(download) -> str:
    from pypdf import PdfReader

    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\n", "")


def test_enter_sends_shift_enter_breaks_the_line(browser, live_server, contexts):
    page = open_page(browser, live_server.url, contexts, **DESKTOP)
    assert page.locator("#chat-history").get_by_text("能做").first.is_visible()  # the welcome says what it can do
    assert page.get_by_text("按 Enter 发送，Shift+Enter 换行").is_visible()
    box = page.locator("#question textarea")
    box.fill("第一行")
    box.press("Shift+Enter")
    box.type("第二行")
    expect(box).to_have_value("第一行\n第二行")
    assert page.locator("#chat-history [data-testid='user']").count() == 0  # nothing was sent
    ask(page, "我们做智能可穿戴设备，今年新产品销售增量500万元，能拿多少奖励？")
    history = page.locator("#chat-history")
    history.get_by_text(re.compile("最高可获 500,000 元")).first.wait_for()
    expect(box).to_have_value("")
    history.locator("details.citations summary").last.click()  # the citations fold out under the answer
    history.get_by_text("按照销售增量的10%").first.wait_for()
    page.locator("#estimates .amount").get_by_text("500,000").first.wait_for()
    page.locator("#total-words").get_by_text("最高可获 500,000 元").wait_for()
    # an example is usable mid-conversation
    page.get_by_text("同时符合两条能都拿吗？").click()
    expect(box).to_have_value("同时符合两条能都拿吗？")
    shot(page, "desktop-enter-sends")
    # a reload keeps the session: the conversation and the facts come back
    page.reload(wait_until="load")
    history.get_by_text("今年新产品销售增量500万元").first.wait_for()
    page.locator("#fact-0-new_product_sales_increment_yuan").get_by_text("5,000,000").wait_for()


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_newcomers_path(browser, live_server, contexts, device):
    """Ask, correct one fact in place, give 👎 with a reason, run the 政策体检, take the PDF away."""
    page = open_page(browser, live_server.url, contexts, **VIEWPORTS[device])
    shot(page, f"{device}-1-welcome")
    ask(page, "我们做智能机器人，新品销售增量700万元")
    page.locator("#estimates .amount").get_by_text("700,000").first.wait_for()
    assert_amounts_fit(page, "#estimates")
    shot(page, f"{device}-2-answer")

    # correct one fact in place: no field names to pick, the fact's own row
    row = page.locator("#fact-0-new_product_sales_increment_yuan")
    row.get_by_role("button", name="修改").click()
    row.locator(".fact-input textarea, .fact-input input").first.fill("650万")
    row.get_by_role("button", name="保存并重新测算").click()
    page.locator("#correction-note").get_by_text("已重新测算").wait_for()
    page.locator("#estimates .amount").get_by_text("650,000").first.wait_for()
    page.locator("#fact-0-new_product_sales_increment_yuan").get_by_text("6,500,000").wait_for()
    assert_amounts_fit(page, "#estimates")
    shot(page, f"{device}-3-corrected")

    # 👎 with a reason, kept in the review journal
    page.locator("#chat-history").get_by_role("button", name=re.compile("^(踩|Dislike)$")).last.click()
    page.locator("#fb-choice").get_by_text("金额不对").click()
    page.locator("#fb-reason textarea").fill(f"{device}: 我们的增量其实是650万")
    page.locator("#fb-send").click()
    page.get_by_text("谢谢您的反馈").first.wait_for()
    shot(page, f"{device}-4-feedback")
    with sqlite3.connect(live_server.data_dir / "journal.sqlite3") as db:
        kept = db.execute("SELECT rating, reason FROM feedback WHERE reason LIKE ?", (f"%{device}:%",)).fetchall()
    assert kept == [("down", f"金额不对；{device}: 我们的增量其实是650万")]

    # the chat's summary PDF carries the corrected figure
    with page.expect_download() as chat_pdf:
        page.locator("#chat-pdf").click()
    assert "650,000" in pdf_text(chat_pdf.value)

    # 政策体检: pick, answer, see every programme, try a figure, take the report away
    page.get_by_role("tab", name="政策体检").click()
    page.locator("#ck-name textarea, #ck-name input").first.fill("陪伴机器人")
    page.locator("#ck-programs").get_by_text("智能硬件新产品销售奖励").click()
    shot(page, f"{device}-5-checkup-start")
    page.locator("#ck-begin").click()
    question = page.locator("#ck-question")
    question.get_by_text("新产品今年比上年的销售增量是多少元？").wait_for()  # 产品类别 is not asked: the pick said it
    page.locator("#ck-text textarea, #ck-text input").first.fill("800万")
    shot(page, f"{device}-6-checkup-question")
    page.locator("#ck-next").click()
    cards = page.locator("#ck-cards")
    cards.get_by_text("最高可获 800,000 元").wait_for()
    page.locator("#ck-add-project").click()  # a second project: its awards add up
    page.locator("#ck-name textarea, #ck-name input").first.fill("算法平台")
    page.locator("#ck-programs").get_by_text("国家级、省级创新支撑平台运营奖励").click()
    page.locator("#ck-begin").click()
    question.get_by_text("平台是国家级、省级还是市级认定的创新支撑平台？").wait_for()
    page.locator("#ck-choice").get_by_text("省级").click()
    page.locator("#ck-next").click()
    question.get_by_text("平台今年的运营费用是多少元？").wait_for()
    page.locator("#ck-text textarea, #ck-text input").first.fill("500万")
    page.locator("#ck-next").click()
    question.get_by_text("今年已经获得").wait_for()
    page.locator("#ck-text textarea, #ck-text input").first.fill("0")
    page.locator("#ck-next").click()
    question.get_by_text("此前累计已经获得").wait_for()
    page.locator("#ck-text textarea, #ck-text input").first.fill("150万")
    page.locator("#ck-next").click()
    cards.get_by_text("最高可获 1,300,000 元").wait_for()
    assert cards.get_by_text("市工业和信息化局").first.is_visible()
    assert_amounts_fit(page, "#ck-cards")
    shot(page, f"{device}-7-checkup-result")
    page.locator("#ck-lever input").first.click()
    page.get_by_role("option", name=re.compile("新产品销售增量")).click()
    page.locator("#ck-lever-note").get_by_text("达到 20,000,000 元时即达上限 2,000,000 元").wait_for()
    page.locator("#ck-whatif-value textarea, #ck-whatif-value input").first.fill("3000万")
    page.locator("#ck-whatif").click()
    page.locator("#ck-whatif-result").get_by_text("2,000,000 元").first.wait_for()
    shot(page, f"{device}-8-what-if")
    with page.expect_download() as report:
        page.locator("#ck-pdf").click()
    text = pdf_text(report.value)
    assert "1,300,000" in text and "陪伴机器人" in text and "市工业和信息化局" in text


def test_the_facts_panel_shows_the_persons_own_words(browser, live_server, contexts):
    """When a reply carries `fact_sources`, each fact shows the words it came from (here put into the journal)."""
    QUESTION = "我们做智能机器人，新品销售增量900万元"  # noqa: N806
    page = open_page(browser, live_server.url, contexts, **DESKTOP)
    page.locator("#new-session").click()
    ask(page, QUESTION)
    page.locator("#estimates .amount").get_by_text("900,000").first.wait_for()
    with sqlite3.connect(live_server.data_dir / "journal.sqlite3") as db:
        sid, raw = db.execute("SELECT session_id, reply FROM journal_turns WHERE message = ?", (QUESTION,)).fetchone()
        reply = json.loads(raw)
        reply["fact_sources"] = [{"fact": "new_product_sales_increment_yuan", "project": 0, "value": 9_000_000, "turn": 0,
                                  "quote": "新品销售增量900万元", "derivation": None}]
        db.execute("UPDATE journal_turns SET reply = ? WHERE session_id = ?", (json.dumps(reply, ensure_ascii=False), sid))
    page.reload(wait_until="load")
    row = page.locator("#fact-0-new_product_sales_increment_yuan")
    row.get_by_text("您说：“新品销售增量900万元”").wait_for()
    shot(page, "desktop-fact-sources")
    row.get_by_role("button", name="不对").click()  # wrong: the fact is unknown again and the award asks for it
    page.locator("#correction-note").get_by_text("已撤下").wait_for()
    page.locator("#estimates").get_by_text("待补充信息").first.wait_for()
    expect(page.locator("#fact-0-new_product_sales_increment_yuan")).to_have_count(0)


def test_policy_text_tab_says_each_heading_once(browser, live_server, contexts):
    page = open_page(browser, live_server.url, contexts, **DESKTOP)
    page.get_by_role("tab", name="政策原文").click()
    page.get_by_text("第九条 强化金融政策保障").click()
    page.get_by_text("市发展改革委、市财政局、市金融管理局").first.wait_for()
    text = page.locator("body").inner_text()
    assert "序言 序言" not in text and "附则 附则" not in text
    first = page.locator(".block", has_text="第一条 支持创新产品供给").last.inner_text()
    assert first.count("责任单位") == 1


def test_a_programme_added_to_the_rules_appears_in_the_checkup_tab(browser, contexts, tmp_path):
    """The same tab code on a rules file with one more programme: it is offered, and asks its own questions."""
    import datetime as dt

    import gradio as gr
    import yaml

    from eligibility.rules import RULES_DIR, load_rules
    from tests.conftest import free_port
    from ui.checkup_tab import build_checkup_tab
    from ui.views import CSS

    policy = yaml.safe_load((RULES_DIR / "changsha-ai-2025.yaml").read_text(encoding="utf-8"))
    policy["programs"] += yaml.safe_load((Path(__file__).with_name("fixtures") / "checkup" /
                                          "TEST-FIXTURE-new-programme.yaml").read_text(encoding="utf-8"))
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    book = load_rules([tmp_path / "policy.yaml"])
    with gr.Blocks() as demo:
        build_checkup_tab(book, lambda: dt.date(2026, 6, 1))
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS)
    try:
        contexts.append(browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}))
        page = contexts[-1].new_page()
        page.set_default_timeout(30_000)
        page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
        page.locator("#ck-programs").get_by_text("测试用本地贡献奖励（虚构）").click()
        page.locator("#ck-begin").click()
        page.locator("#ck-question").get_by_text("企业是否在长沙市注册登记？").wait_for()
        page.locator("#ck-choice").get_by_text("是", exact=True).click()
        page.locator("#ck-next").click()
        page.locator("#ck-question").get_by_text("企业上年度对地方的经济贡献约为多少元？").wait_for()
        page.locator("#ck-text textarea, #ck-text input").first.fill("1000万")
        page.locator("#ck-next").click()
        page.locator("#ck-cards .amount").get_by_text("300,000").wait_for()
        assert page.locator("#ck-cards").get_by_text("测试用责任单位（虚构）").first.is_visible()
        shot(page, "phone-checkup-fixture-programme")
    finally:
        demo.close()
