"""Start-up: the server answers at once, says "starting" until loaded, and early requests wait instead of failing."""

import threading
import time

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.startup import LazyUI, PendingAssistant, load_in_background
from assistant.config import Settings
from assistant.sessions import SQLiteSessionStore
from assistant.turn import Assistant


@pytest.fixture
def assistant(policy_kb, searcher, tmp_path):
    return Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "sessions.sqlite3"))


def test_healthz_says_starting_until_loaded_and_early_requests_wait(assistant, tmp_path):
    pending = PendingAssistant()
    release = threading.Event()

    def load():
        release.wait(10)
        return assistant

    client = TestClient(create_app(Settings(data_dir=tmp_path), pending, with_ui=False))
    load_in_background(load, pending, None, None)
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json() == {"status": "starting"}
    answers = []
    early = threading.Thread(target=lambda: answers.append(client.post("/v1/search", json={"query": "银行贷款支持"})))
    early.start()
    time.sleep(0.3)
    assert answers == []  # still waiting for the models, not failed
    release.set()
    early.join(30)
    assert answers[0].status_code == 200 and answers[0].json()["results"][0]["article"] == "9"
    assert client.get("/healthz").json()["status"] == "ok"


def test_a_load_that_fails_answers_503_in_the_error_shape(tmp_path):
    pending = PendingAssistant()

    def load():
        raise RuntimeError("index folder unreadable")

    client = TestClient(create_app(Settings(data_dir=tmp_path), pending, with_ui=False))
    load_in_background(load, pending, None, None).join(10)
    assert client.get("/healthz").status_code == 503
    r = client.post("/v1/search", json={"query": "有效期"})
    assert r.status_code == 503 and r.json()["error"]["code"] == "starting"


def test_lazy_ui_waits_for_the_ui_and_leaves_the_api_alone():
    api, ui = FastAPI(), FastAPI()
    api.get("/healthz")(lambda: {"status": "ok"})
    ui.get("/ui/")(lambda: {"page": "ui"})
    outer = LazyUI(api, "/ui")
    transport = httpx.ASGITransport(app=outer)

    async def scenario():
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/healthz")).json() == {"status": "ok"}  # not held up by the UI
            threading.Timer(0.2, outer.set_ui, args=(ui,)).start()
            started = time.perf_counter()
            page = await client.get("/ui/")
            return page.json(), time.perf_counter() - started

    import asyncio

    page, waited = asyncio.run(scenario())
    assert page == {"page": "ui"} and waited >= 0.15
