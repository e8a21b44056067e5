"""The FastAPI app: the contract's endpoints, thin over `assistant`; the web UI mounted on the same app."""

from __future__ import annotations

import importlib
import json
import logging
import threading
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, StreamingResponse

from api.errors import ApiError, install_error_handlers
from api.middleware import KeyCheck, RateLimiter, RequestMiddleware
from api.schemas import (
    ChatRequest,
    DocumentOut,
    DocumentsResponse,
    ErrorResponse,
    EstimateRequest,
    EstimateResponse,
    Health,
    SearchRequest,
    SearchResponse,
    SearchResult,
    SectionResponse,
    SessionResponse,
    TurnOut,
)
from api.streaming import turn_events
from assistant.config import Settings
from assistant.reply import ChatReply, Estimate
from assistant.sessions import SessionNotFound
from assistant.turn import Assistant, InputError, clean_message

log = logging.getLogger("policy_assistant.api")
ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 404, 413, 415, 422, 429)}


def sse(event: str, data) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_app(settings: Settings | None = None, assistant: Assistant | None = None, with_ui: bool = True) -> FastAPI:
    settings = settings or Settings.from_env()
    if assistant is None:
        from assistant.runtime import open_assistant

        assistant = open_assistant(settings)
    app = FastAPI(title="长沙AI政策助手 API", version="1.0", lifespan=_limit_threads(settings.request_threads),
                  description="Answers, citations and award estimates for 长政办发〔2025〕16号. Errors: "
                              '`{"error": {"code", "message"}}`. With POLICY_API_KEYS set, send `Authorization: Bearer <key>`.',
                  responses=ERRORS)
    app.state.assistant = assistant
    install_error_handlers(app)
    app.add_middleware(RequestMiddleware, max_body_bytes=settings.max_body_bytes, log_bodies=settings.log_bodies)
    keys = KeyCheck(settings.api_keys)
    limiter = RateLimiter(settings.rate_limit)

    def chat_turn(request: Request, body: ChatRequest) -> ChatReply:
        limiter.check(request, body.user_id)
        try:
            return assistant.chat(body.message, body.session_id, body.user_id, body.channel)
        except SessionNotFound as exc:
            raise ApiError(404, "session_not_found", f"unknown session_id {body.session_id!r} / 没有这个会话") from exc
        except InputError as exc:
            raise ApiError(422, "invalid_request", str(exc), ["message"]) from exc

    @app.get("/healthz", response_model=Health, tags=["service"])
    def healthz() -> Health:
        return Health(status="ok", documents=len(assistant.kb.documents), chunks=len(assistant.kb.chunks))

    @app.post("/v1/chat", response_model=ChatReply, tags=["chat"], dependencies=[Depends(keys)])
    def chat(request: Request, body: ChatRequest) -> ChatReply:
        """One chat turn: the answer, its citations (exact quotes), the estimates and what is still needed."""
        return chat_turn(request, body)

    @app.post("/v1/chat/stream", tags=["chat"], dependencies=[Depends(keys)],
              responses={200: {"content": {"text/event-stream": {}},
                               "description": "`delta` events with pieces of the answer as they are produced; at most one "
                                              "`replaced` (an LLM answer was cut at a figure it could not support: discard "
                                              "the deltas, its `text` is the answer); then `reply` with the full reply object "
                                              "(or `error`), then `done`"}})
    def chat_stream(request: Request, body: ChatRequest) -> StreamingResponse:
        """Server-sent events: the answer as it is produced, checked figure by figure, then the full reply."""
        limiter.check(request, body.user_id)
        try:
            clean_message(body.message)
            if body.session_id:
                assistant.store.load(body.session_id)
        except SessionNotFound as exc:
            raise ApiError(404, "session_not_found", f"unknown session_id {body.session_id!r} / 没有这个会话") from exc
        except InputError as exc:
            raise ApiError(422, "invalid_request", str(exc), ["message"]) from exc

        def run(on_delta):
            return assistant.chat(body.message, body.session_id, body.user_id, body.channel, on_delta=on_delta)

        def events():
            for event, payload in turn_events(run):
                if event in ("delta", "replaced"):
                    yield sse(event, {"text": payload})
                elif event == "reply":
                    yield sse("reply", payload.model_dump(mode="json"))
                else:
                    log.warning("streamed turn failed: %s", payload.__class__.__name__)
                    yield sse("error", {"error": {"code": "turn_failed", "message": "the turn could not be completed / 本轮回答失败"}})
            yield sse("done", {})

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.post("/v1/search", response_model=SearchResponse, tags=["knowledge"], dependencies=[Depends(keys)])
    def search(request: Request, body: SearchRequest) -> SearchResponse:
        limiter.check(request)
        hits = assistant.searcher.search(body.query, body.top_k, body.doc_id)
        return SearchResponse(results=[SearchResult(doc_id=h.doc_id, article=h.article, title=h.title, text=h.text,
                                                    score=h.score, passage=h.passage, responsible_units=h.responsible_units)
                                       for h in hits])

    @app.post("/v1/estimate", response_model=EstimateResponse, tags=["eligibility"], dependencies=[Depends(keys)])
    def estimate(request: Request, body: EstimateRequest) -> EstimateResponse:
        """The eligibility engine alone, on facts you give it (the schema is `Facts`; unknown fields are refused)."""
        limiter.check(request)
        known = {p.id for p in assistant.rulebook.policy.programs}
        unknown = sorted(set(body.program_ids or ()) - known)
        if unknown:
            raise ApiError(422, "invalid_request", f"unknown program_ids: {', '.join(unknown)}", ["program_ids"])
        result = assistant.estimate(body.facts, body.on_date, body.program_ids)
        return EstimateResponse(
            estimates=[Estimate.from_engine(e) for e in result.estimates],
            total_ceiling_yuan=result.total_ceiling_yuan, follow_up=result.follow_up, on_date=result.on_date,
            total_trace=result.total_trace)

    @app.get("/v1/sessions/{session_id}", response_model=SessionResponse, tags=["chat"], dependencies=[Depends(keys)])
    def session(session_id: str) -> SessionResponse:
        """Every turn of a session, in order, for review."""
        try:
            found = assistant.store.load(session_id)
        except SessionNotFound as exc:
            raise ApiError(404, "session_not_found", f"unknown session_id {session_id!r} / 没有这个会话") from exc
        return SessionResponse(session_id=found.session_id, user_id=found.user_id, channel=found.channel,
                               turns=[TurnOut(role=t.role, text=t.text, at=t.at) for t in found.turns],
                               facts=found.state.facts.model_dump(mode="json", exclude_none=True, exclude_defaults=True))

    @app.get("/v1/documents", response_model=DocumentsResponse, tags=["knowledge"], dependencies=[Depends(keys)])
    def documents() -> DocumentsResponse:
        return DocumentsResponse(documents=[DocumentOut(**{k: v for k, v in d.metadata().items() if k in DocumentOut.model_fields})
                                            for d in assistant.kb.documents.values()])

    @app.get("/v1/documents/{doc_id}/sections/{article}", response_model=SectionResponse, tags=["knowledge"],
             dependencies=[Depends(keys)])
    def section(doc_id: str, article: str) -> SectionResponse:
        found = assistant.kb.section(doc_id, article)
        if found is None:
            raise ApiError(404, "not_found", f"no section {article!r} in document {doc_id!r} / 没有这个条款")
        return SectionResponse(doc_id=doc_id, article=article, title=found.title, text=found.text,
                               responsible_units=found.responsible_units)

    from api.openai_compat import install_openai_routes

    install_openai_routes(app, assistant, keys, limiter)
    if with_ui:
        from ui.app import mount_ui

        mount_ui(app, assistant)
    else:
        @app.get("/", include_in_schema=False)
        def root():
            return RedirectResponse("/docs")
    return app


def _limit_threads(threads: int):
    """Turns are CPU-bound: a few threads at a time (not anyio's 40) keep 2 cores fair and the process responsive."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    return lifespan


def import_ui_in_background() -> threading.Thread:
    """Gradio takes ~5 s to import: do it beside the model loading, not after it."""
    thread = threading.Thread(target=importlib.import_module, args=("gradio",), daemon=True)
    thread.start()
    return thread


def warm_up_in_background(assistant: Assistant) -> None:
    """Load the word segmenter, the lazy model weights and the intent classifier while the server starts answering."""
    threading.Thread(target=assistant.warm_up, daemon=True, name="warm-up").start()


def create_app_from_env() -> FastAPI:
    """For `uvicorn --factory` and the workers of `policy-assistant serve`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ui = import_ui_in_background()
    from assistant.runtime import open_assistant

    assistant = open_assistant(Settings.from_env())
    ui.join()
    app = create_app(assistant=assistant)
    warm_up_in_background(assistant)
    return app
