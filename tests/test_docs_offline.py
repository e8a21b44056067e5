"""/docs and /redoc render in Chromium with no network: Swagger UI and ReDoc come from assets on disk."""

from urllib.parse import urlparse

import pytest

from tests.conftest import chromium

# every host name but loopback resolves to nothing: a CDN request would fail, not silently succeed
NO_NETWORK = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)


@pytest.fixture(scope="module")
def browser():
    with chromium(NO_NETWORK) as instance:
        yield instance


def offline_page(browser, live_server):
    """A page whose requests may only reach the server under test; anything else is refused and recorded."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    outside = []
    server = urlparse(live_server.url).netloc

    def guard(route):
        url = urlparse(route.request.url)
        if url.scheme in {"http", "https"} and url.netloc != server:
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    context.route("**/*", guard)
    return page, outside


def test_swagger_ui_renders_offline(browser, live_server):
    page, outside = offline_page(browser, live_server)
    page.goto(live_server.url + "/docs", wait_until="load")
    page.locator(".swagger-ui .info .title").get_by_text("长沙AI政策助手 API").wait_for()
    page.locator(".opblock-summary-path", has_text="/v1/chat/completions").first.wait_for()
    page.locator(".opblock-summary-path", has_text="/v1/sessions/{session_id}").first.wait_for()
    assert outside == []


def test_redoc_renders_offline(browser, live_server):
    page, outside = offline_page(browser, live_server)
    page.goto(live_server.url + "/redoc", wait_until="load")
    page.locator("redoc h1, [role=main] h1, .api-info h1").first.wait_for()
    page.get_by_text("One chat turn: the answer, its citations").first.wait_for()
    assert outside == []
