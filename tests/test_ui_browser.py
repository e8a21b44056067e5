"""The web UI in a real browser: Debian's chromium driven by Playwright (never `playwright install`)."""

import re
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).with_name("artifacts")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (.ci/run installs it)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield instance
        instance.close()


def open_page(browser, live_server, **context):
    page = browser.new_context(locale="zh-CN", **context).new_page()
    page.set_default_timeout(30_000)
    page.goto(live_server.url + "/", wait_until="load")
    page.get_by_label("您的问题").wait_for()
    return page


def ask(page, question):
    box = page.get_by_label("您的问题")
    box.fill(question)
    page.locator("#send").click()


def test_ask_and_see_answer_citation_and_estimate(browser, live_server):
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_page(browser, live_server, viewport={"width": 1280, "height": 1000})
    ask(page, "我们做智能可穿戴设备，今年新产品销售增量500万元，能拿多少奖励？")
    page.locator("#chat-history").get_by_text(re.compile("最高可获 500,000 元")).first.wait_for()
    page.locator("#citations").get_by_text("按照销售增量的10%").first.wait_for()
    page.locator("#estimates").get_by_text("500,000").filter(visible=True).first.wait_for()
    page.locator("#estimates").get_by_text("智能硬件新产品销售奖励").filter(visible=True).first.wait_for()
    page.locator("#total").get_by_text("500,000").wait_for()
    page.screenshot(path=str(ARTIFACTS / "chat-desktop.png"), full_page=True)
    # a reload keeps the session: the conversation comes back
    page.reload(wait_until="load")
    page.locator("#chat-history").get_by_text("今年新产品销售增量500万元").first.wait_for()
    page.locator("#facts").get_by_text("5,000,000").filter(visible=True).first.wait_for()


def test_correct_a_fact(browser, live_server):
    page = open_page(browser, live_server, viewport={"width": 1280, "height": 1000})
    page.locator("#new-session").click()
    ask(page, "我们做智能机器人，新品销售增量700万元")
    page.locator("#estimates").get_by_text("700,000").filter(visible=True).first.wait_for()
    page.locator("#fact-name").get_by_role("listbox").or_(page.locator("#fact-name input")).first.click()
    page.get_by_role("option", name="新产品销售增量（元）").click()
    page.locator("#fact-value textarea, #fact-value input").first.fill("650万")
    page.locator("#correct").click()
    page.locator("#correction-note").get_by_text("已更正").wait_for()
    page.locator("#estimates").get_by_text("650,000").filter(visible=True).first.wait_for()
    page.locator("#facts").get_by_text("6,500,000").filter(visible=True).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "correct-fact.png"), full_page=True)


def test_calculator(browser, live_server):
    page = open_page(browser, live_server, viewport={"width": 1280, "height": 1000})
    page.get_by_role("tab", name="奖励计算器").click()
    field = page.get_by_label("新产品销售增量（元）")
    field.wait_for()
    assert not page.get_by_label("年度模型购买费用（元）").is_visible()  # only what the programme needs
    page.get_by_label("产品类别").click()
    page.get_by_role("option", name="智能硬件产品").click()
    field.fill("800万")
    page.locator("#calculate").click()
    page.locator("#calc-trace").get_by_text("8,000,000 元 × 10% = 800,000 元").wait_for()
    page.locator("#calc-table").get_by_text("800,000").filter(visible=True).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "calculator.png"), full_page=True)


def test_policy_text_tab(browser, live_server):
    page = open_page(browser, live_server, viewport={"width": 1280, "height": 1000})
    page.get_by_role("tab", name="政策原文").click()
    page.get_by_text("第九条 强化金融政策保障").click()
    page.get_by_text("市发展改革委、市财政局、市金融管理局").first.wait_for()


def test_phone_viewport(browser, live_server):
    page = open_page(browser, live_server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                     device_scale_factor=2)
    ask(page, "平台运营补贴连续拿几年，总共封顶多少")
    page.locator("#citations").get_by_text("每个平台累计奖励不超过200万元").first.wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"the page scrolls sideways on a phone: {width}px"
    assert page.locator("#send").is_visible() and page.get_by_label("您的问题").is_visible()
    page.screenshot(path=str(ARTIFACTS / "phone.png"), full_page=True)
