"""The FastAPI app: the contract's endpoints, thin over `assistant`; the web UI mounted on the same app."""

from __future__ import annotations

import json
import logging
import threading
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse

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
from api.startup import LazyUI, NotReady, PendingAssistant, load_in_background
from assistant.config import Settings
from assistant.reply import ChatReply, Estimate
from assistant.sessions import SessionNotFound
from assistant.turn import Assistant, InputError

log = logging.getLogger("policy_assistant.api")
UI_PATH = "/ui"  # where ui.app mounts the web UI (kept here so that the API need not import Gradio)
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

    @app.exception_handler(NotReady)
    async def not_ready(request: Request, exc: NotReady) -> JSONResponse:
        return JSONResponse({"error": {"code": "starting", "message": f"服务正在启动，请稍后再试 / {exc}"}},
                            status_code=503, headers={"Retry-After": "5"})

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

    @app.get("/healthz", response_model=Health, tags=["service"],
             responses={503: {"description": 'still loading: `{"status": "starting"}`'}})
    def healthz():
        """200 once requests can be answered; 503 `{"status": "starting"}` while the models load."""
        if isinstance(assistant, PendingAssistant) and not assistant.is_ready:
            return JSONResponse({"status": "starting"}, status_code=503, headers={"Retry-After": "1"})
        return Health(status="ok", documents=len(assistant.kb.documents), chunks=len(assistant.kb.chunks))

    @app.post("/v1/chat", response_model=ChatReply, tags=["chat"], dependencies=[Depends(keys)])
    def chat(request: Request, body: ChatRequest) -> ChatReply:
        """One chat turn: the answer, its citations (exact quotes), the estimates and what is still needed."""
        return chat_turn(request, body)

    @app.post("/v1/chat/stream", tags=["chat"], dependencies=[Depends(keys)],
              responses={200: {"content": {"text/event-stream": {}}, "description": "delta events, then one reply event"}})
    def chat_stream(request: Request, body: ChatRequest) -> StreamingResponse:
        """Server-sent events: `delta` events with pieces of the answer, then `reply` with the full reply object."""
        reply = chat_turn(request, body)

        def events():
            for line in (reply.answer_full or reply.answer).splitlines(keepends=True):
                yield sse("delta", {"text": line})
            yield sse("reply", reply.model_dump(mode="json"))
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
    if with_ui and isinstance(assistant, PendingAssistant):  # the UI is built later (create_app_from_env)
        @app.get("/", include_in_schema=False)
        def ui_root():
            return RedirectResponse(UI_PATH + "/")
    elif with_ui:
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


def build_ui_app(assistant: Assistant) -> FastAPI:
    """The Gradio UI on a FastAPI app of its own (Gradio's documented `mount_gradio_app`), for `LazyUI`."""
    from ui.app import UI_PATH as ui_path
    from ui.app import mount_ui

    assert ui_path == UI_PATH, "api.app.UI_PATH must name where ui.app mounts the UI"
    host = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    mount_ui(host, assistant)
    return host


def create_app_from_env(settings: Settings | None = None, with_ui: bool = True):
    """What `serve` runs (and `uvicorn --factory`): listening at once, the models and the UI loaded behind.

    `/healthz` answers 503 `{"status": "starting"}` until the index and models are loaded (the warm-up follows);
    requests that come earlier wait for that. Gradio is imported only afterwards, so it is not on the way to ready.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings or Settings.from_env()
    pending = PendingAssistant()
    api = create_app(settings, assistant=pending, with_ui=with_ui)

    def load() -> Assistant:
        from assistant.runtime import open_assistant
        from knowledge.embeddings import load_embedders

        models = threading.Thread(target=load_embedders, args=(settings.embeddings,), daemon=True)
        models.start()  # the model's C code loads its weights without the GIL, beside the imports below
        import knowledge.retrieval  # noqa: F401
        import knowledge.vectorstore  # noqa: F401 - chromadb, seconds of imports

        models.join()
        return open_assistant(settings)

    outer = LazyUI(api, UI_PATH) if with_ui else None
    load_in_background(load, pending, outer, build_ui_app if with_ui else None)
    return outer or api
