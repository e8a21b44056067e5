"""The FastAPI app: the contract's endpoints, thin over `assistant`; the web UI mounted on the same app."""

from __future__ import annotations

import json
import logging
import threading
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from fastapi_offline import FastAPIOffline

from api.auth import Authenticate, Caller, KeyRegistry, admin_dependency
from api.docs import install_redoc
from api.errors import ApiError, install_error_handlers
from api.middleware import RequestMiddleware
from api.ratelimit import RateLimiter
from api.schemas import (
    ChatRequest,
    DocumentOut,
    DocumentsResponse,
    ErrorResponse,
    EstimateRequest,
    EstimateResponse,
    FeedbackOut,
    FeedbackRequest,
    Health,
    SearchRequest,
    SearchResponse,
    SearchResult,
    SectionResponse,
    SessionResponse,
    TurnOut,
)
from api.startup import LazyUI, NotReady, PendingAssistant, load_in_background
from api.streaming import turn_events
from assistant.config import Settings
from assistant.reply import ChatReply, Estimate
from assistant.sessions import SessionBusy, SessionNotFound
from assistant.turn import Assistant, InputError, clean_message

log = logging.getLogger("policy_assistant.api")
UI_PATH = "/ui"  # where ui.app mounts the web UI (kept here so that the API need not import Gradio)
ERRORS = {status: {"model": ErrorResponse} for status in (400, 401, 404, 409, 413, 415, 422, 429)}
USER_ID = Query(default=None, max_length=128, description="the end user acting, for a key allowed to act for users")


def sse(event: str, data) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_app(settings: Settings | None = None, assistant: Assistant | None = None, with_ui: bool = True) -> FastAPI:
    settings = settings or Settings.from_env()
    if assistant is None:
        from assistant.runtime import open_assistant

        assistant = open_assistant(settings)
    # /docs and /redoc from the Swagger UI and ReDoc bundled in `fastapi-offline`: no CDN, so they work offline
    app = FastAPIOffline(redoc_url=None, title="长沙AI政策助手 API", version="1.0", lifespan=_limit_threads(settings.request_threads),
                         description="Answers, citations and award estimates for 长政办发〔2025〕16号. Errors: "
                                     '`{"error": {"code", "message"}}`. With API keys configured, send `Authorization: Bearer <key>`.',
                         responses=ERRORS)
    install_redoc(app)
    app.state.assistant = assistant
    install_error_handlers(app)

    @app.exception_handler(NotReady)
    async def not_ready(request: Request, exc: NotReady) -> JSONResponse:
        return JSONResponse({"error": {"code": "starting", "message": f"服务正在启动，请稍后再试 / {exc}"}},
                            status_code=503, headers={"Retry-After": "5"})

    app.add_middleware(RequestMiddleware, max_body_bytes=settings.max_body_bytes, log_bodies=settings.log_bodies)
    keys = Authenticate(KeyRegistry.from_settings(settings))
    limiter = RateLimiter(settings.rate_limit, settings.rate_limit_storage or _redis_url(settings.session_url))
    app.state.authenticate, app.state.require_admin, app.state.limiter = keys, admin_dependency(keys), limiter

    def own(caller: Caller, session_id: str) -> None:
        """404 for a session this caller does not own, exactly as for one that does not exist."""
        try:
            owner, user_id = assistant.store.owner_of(session_id)
        except SessionNotFound:
            raise not_found(session_id) from None
        if not caller.owns(owner, user_id):
            raise not_found(session_id)

    def chat_turn(caller: Caller, body: ChatRequest) -> ChatReply:
        caller = caller.acting_for(body.user_id)
        limiter.check(caller)
        if body.session_id:
            own(caller, body.session_id)
        try:
            return assistant.chat(body.message, body.session_id, body.user_id, body.channel, owner=caller.key_name)
        except SessionNotFound as exc:
            raise not_found(body.session_id) from exc
        except SessionBusy as exc:
            raise busy() from exc
        except InputError as exc:
            raise ApiError(422, "invalid_request", str(exc), ["message"]) from exc

    @app.get("/healthz", response_model=Health, tags=["service"],
             responses={503: {"description": 'still loading: `{"status": "starting"}`'}})
    def healthz():
        """200 once requests can be answered; 503 `{"status": "starting"}` while the models load."""
        if isinstance(assistant, PendingAssistant) and not assistant.is_ready:
            return JSONResponse({"status": "starting"}, status_code=503, headers={"Retry-After": "1"})
        return Health(status="ok", documents=len(assistant.kb.documents), chunks=len(assistant.kb.chunks))

    @app.post("/v1/chat", response_model=ChatReply, tags=["chat"])
    def chat(body: ChatRequest, caller: Caller = Depends(keys)) -> ChatReply:
        """One chat turn: the answer, its citations (exact quotes), the estimates and what is still needed."""
        return chat_turn(caller, body)

    @app.post("/v1/chat/stream", tags=["chat"],
              responses={200: {"content": {"text/event-stream": {}},
                               "description": "`delta` events with pieces of the answer as they are produced; at most one "
                                              "`replaced` (an LLM answer was cut at a figure it could not support: discard "
                                              "the deltas, its `text` is the answer); then `reply` with the full reply object "
                                              "(or `error`), then `done`"}})
    def chat_stream(body: ChatRequest, caller: Caller = Depends(keys)) -> StreamingResponse:
        """Server-sent events: the answer as it is produced, checked figure by figure, then the full reply."""
        acting = caller.acting_for(body.user_id)
        limiter.check(acting)
        if body.session_id:
            own(acting, body.session_id)
        try:
            clean_message(body.message)
            if body.session_id:
                assistant.store.load(body.session_id)
        except SessionNotFound as exc:
            raise not_found(body.session_id) from exc
        except InputError as exc:
            raise ApiError(422, "invalid_request", str(exc), ["message"]) from exc

        def run(on_delta):
            return assistant.chat(body.message, body.session_id, body.user_id, body.channel, owner=caller.key_name,
                                  on_delta=on_delta)

        def events():
            for event, payload in turn_events(run):
                if event in ("delta", "replaced"):
                    yield sse(event, {"text": payload})
                elif event == "reply":
                    yield sse("reply", payload.model_dump(mode="json"))
                elif isinstance(payload, SessionBusy):
                    yield sse("error", {"error": {"code": "session_busy", "message": "another turn of this session is "
                                                  "still running; retry shortly / 该会话上一轮尚未结束，请稍后重试"}})
                else:
                    log.warning("streamed turn failed: %s", payload.__class__.__name__)
                    yield sse("error", {"error": {"code": "turn_failed", "message": "the turn could not be completed / 本轮回答失败"}})
            yield sse("done", {})

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.post("/v1/search", response_model=SearchResponse, tags=["knowledge"])
    def search(body: SearchRequest, caller: Caller = Depends(keys)) -> SearchResponse:
        limiter.check(caller)
        hits = assistant.searcher.search(body.query, body.top_k, body.doc_id)
        return SearchResponse(results=[SearchResult(doc_id=h.doc_id, article=h.article, title=h.title, text=h.text,
                                                    score=h.score, passage=h.passage, responsible_units=h.responsible_units)
                                       for h in hits])

    @app.post("/v1/estimate", response_model=EstimateResponse, tags=["eligibility"])
    def estimate(body: EstimateRequest, caller: Caller = Depends(keys)) -> EstimateResponse:
        """The eligibility engine alone, on facts you give it (the schema is `Facts`; unknown fields are refused)."""
        limiter.check(caller)
        known = {p.id for p in assistant.rulebook.programs}
        unknown = sorted(set(body.program_ids or ()) - known)
        if unknown:
            raise ApiError(422, "invalid_request", f"unknown program_ids: {', '.join(unknown)}", ["program_ids"])
        result = assistant.estimate(body.facts, body.on_date, body.program_ids)
        return EstimateResponse(
            estimates=[Estimate.from_engine(e) for e in result.estimates],
            total_ceiling_yuan=result.total_ceiling_yuan, follow_up=result.follow_up, on_date=result.on_date,
            total_trace=result.total_trace, total_steps=result.total_steps)

    @app.get("/v1/sessions/{session_id}", response_model=SessionResponse, tags=["chat"])
    def session(session_id: str, user_id: str | None = USER_ID, caller: Caller = Depends(keys)) -> SessionResponse:
        """Every turn of a session, in order, for review. Only its owner sees it (a key acting for users: with
        the session's `user_id`); anyone else gets 404."""
        own(caller.acting_for(user_id), session_id)
        try:
            found = assistant.store.load(session_id)
        except SessionNotFound as exc:
            raise not_found(session_id) from exc
        return SessionResponse(session_id=found.session_id, user_id=found.user_id, channel=found.channel,
                               turns=[TurnOut(role=t.role, text=t.text, at=t.at) for t in found.turns],
                               facts=found.state.facts.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
                               fact_sources=[s.model_dump() for s in found.state.sources])

    @app.post("/v1/feedback", response_model=FeedbackOut, status_code=201, tags=["chat"])
    def feedback(body: FeedbackRequest, user_id: str | None = USER_ID, caller: Caller = Depends(keys)) -> FeedbackOut:
        """👍/👎 on an answer, with an optional reason: the policy office reviews them. Same ownership as the session."""
        limiter.check(caller)
        own(caller.acting_for(user_id), body.session_id)
        try:
            kept = assistant.feedback(body.session_id, body.turn, body.rating, body.reason)
        except SessionNotFound as exc:
            raise ApiError(404, "session_not_found", f"unknown session_id {body.session_id!r} / 没有这个会话") from exc
        except InputError as exc:
            raise ApiError(422, "invalid_request", str(exc), ["turn"]) from exc
        return FeedbackOut(**kept.__dict__)

    @app.delete("/v1/sessions/{session_id}", status_code=204, tags=["chat"], response_class=Response)
    def delete_session(session_id: str, user_id: str | None = USER_ID, caller: Caller = Depends(keys)) -> Response:
        """Remove a session: its turns and facts (an enterprise's business data). 404 when not the caller's."""
        own(caller.acting_for(user_id), session_id)
        try:
            removed = assistant.store.delete(session_id)
        except SessionBusy as exc:
            raise busy() from exc
        if not removed:
            raise not_found(session_id)
        if assistant.journal is not None:  # nothing of a deleted conversation stays behind
            assistant.journal.forget(session_id)
        return Response(status_code=204)

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
    from api.staff import install_staff

    install_openai_routes(app, assistant, keys, limiter, own)
    install_staff(app, assistant, settings, keys)
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


def not_found(session_id: str | None) -> ApiError:
    return ApiError(404, "session_not_found", f"unknown session_id {session_id!r} / 没有这个会话")


def busy() -> ApiError:
    return ApiError(409, "session_busy", "another turn of this session is still running; retry shortly / 该会话正在处理上一条消息，请稍后再试",
                    headers={"Retry-After": "1"})


def _redis_url(url: str | None) -> str | None:
    """Workers share one rate limit through the sessions' Redis when there is one."""
    return url if url and url.startswith(("redis://", "rediss://")) else None


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
