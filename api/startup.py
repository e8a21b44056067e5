"""A server that listens at once and loads in the background.

The models and the index load in a thread while the server already answers: `/healthz` says 503
`{"status": "starting"}` until a request can be answered, and a request that comes early waits on the ready
event instead of failing. The Gradio UI is imported and built after that, off the critical path, and mounted
by Gradio's documented `gr.mount_gradio_app` on a FastAPI app of its own; an outer ASGI layer hands it every
request under /ui (a page asked for before it is built waits too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable

from fastapi import FastAPI

log = logging.getLogger("policy_assistant.api")
READY_TIMEOUT_S = 300


class NotReady(RuntimeError):
    pass


class PendingAssistant:
    """Stands in for the assistant until it is loaded: attribute access waits for it (or for its failure)."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self._target = None
        self._error: BaseException | None = None

    def set(self, target) -> None:
        self._target = target
        self.ready.set()

    def fail(self, error: BaseException) -> None:
        self._error = error
        self.ready.set()

    @property
    def is_ready(self) -> bool:
        return self.ready.is_set() and self._target is not None

    def get(self, timeout: float = READY_TIMEOUT_S):
        if not self.ready.wait(timeout) or self._target is None:
            raise NotReady(f"the assistant is not loaded: {self._error or 'still starting'}")
        return self._target

    def __getattr__(self, name: str):
        if name.startswith("__"):  # copy, pickle and friends probe these: never wait for them
            raise AttributeError(name)
        return getattr(self.get(), name)


class LazyUI:
    """ASGI layer: paths under `prefix` go to the UI app once it is built; everything else to the API app."""

    def __init__(self, api: FastAPI, prefix: str) -> None:
        self.api = api
        self.prefix = prefix
        self.ui: FastAPI | None = None
        self.built = threading.Event()
        self._started: asyncio.Event | None = None
        self._lifespan: contextlib.AsyncExitStack | None = None

    def set_ui(self, ui: FastAPI | None) -> None:
        self.ui = ui
        self.built.set()

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and (path == self.prefix or path.startswith(self.prefix + "/")):
            ui = await self._ui()
            if ui is not None:
                await ui(scope, receive, send)
                return
        await self.api(scope, receive, send)

    async def _ui(self) -> FastAPI | None:
        if not self.built.is_set():
            await asyncio.to_thread(self.built.wait, READY_TIMEOUT_S)
        if self.ui is None:
            return None
        if self._started is None:  # run the UI app's own lifespan (Gradio's start-up) once, in this event loop
            self._started = asyncio.Event()
            self._lifespan = contextlib.AsyncExitStack()
            await self._lifespan.enter_async_context(self.ui.router.lifespan_context(self.ui))
            self._started.set()
        await self._started.wait()
        return self.ui


def load_in_background(load: Callable[[], object], pending: PendingAssistant, ui: LazyUI | None,
                       build_ui: Callable[[object], FastAPI] | None) -> threading.Thread:
    """Load the assistant (then it is ready), warm it up, then build the UI; a failure is logged and ends the waits."""

    def run() -> None:
        started = time.perf_counter()
        try:
            assistant = load()
        except BaseException as exc:  # noqa: BLE001 - reported through /healthz and the waiting requests
            log.exception("loading the assistant failed")
            pending.fail(exc)
            if ui is not None:
                ui.set_ui(None)
            return
        pending.set(assistant)  # requests can be answered; the warm-up only makes the first ones quick
        loaded = time.perf_counter()
        log.info("ready: loaded in %.2f s", loaded - started)
        try:
            assistant.searcher.warm_up()
            log.info("warmed up in %.2f s", time.perf_counter() - loaded)
        except Exception:
            log.exception("warm-up failed")
        if ui is not None and build_ui is not None:
            try:
                ui.set_ui(build_ui(assistant))
            except Exception:
                log.exception("building the web UI failed")
                ui.set_ui(None)

    thread = threading.Thread(target=run, daemon=True, name="load-assistant")
    thread.start()
    return thread
