"""The staff area: review, expected answers and their export, statistics, case packets (JSON under /v1/staff/,
pages under /staff/), and the integrators' packet endpoint GET /v1/sessions/{id}/packet.

Everything here but the login page needs an admin key (`AdminCheck`); an enterprise key is refused.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.errors import ApiError
from api.schemas import ErrorResponse
from api.staff_auth import COOKIE, SESSION_SECONDS, AdminCheck
from api.staff_schemas import ConversationPage, ExpectedOut, Statistics
from assistant.config import Settings
from assistant.sessions import SessionNotFound
from assistant.turn import Assistant

STAFF_ERRORS = {status: {"model": ErrorResponse} for status in (401, 403, 404, 422)}
PACKET_RESPONSES = {200: {"content": {"application/json": {}, "application/pdf": {}}}, 406: {"model": ErrorResponse}}
PAGES = Path(__file__).resolve().parent.parent / "ui" / "staff"
PAGE_FILES = {"": "review.html", "conversation": "conversation.html", "stats": "stats.html",
              "staff.js": "staff.js", "staff.css": "staff.css"}


class ExpectedIn(BaseModel):
    """What the right answer of a conversation is, after one of its turns."""

    model_config = ConfigDict(extra="forbid")
    turn: int | None = Field(None, ge=0, description="the assistant turn, from 0; null: the last")
    expect: dict[str, int | None] = Field(default_factory=dict, description="article → expected ceiling_yuan",
                                          examples=[{"1": 500_000}])
    total: int | None = Field(None, ge=0)
    max_any: int | None = Field(None, ge=0)
    out_of_scope: bool = False
    note: str | None = Field(None, max_length=500)


def _packet(assistant: Assistant, session_id: str):
    from assistant.packet import build_packet

    try:
        session = assistant.store.load(session_id)
    except SessionNotFound as exc:
        raise ApiError(404, "session_not_found", f"unknown session_id {session_id!r} / 没有这个会话") from exc
    return build_packet(session, assistant.journal, assistant.rulebook, assistant.estimate)


def packet_response(request: Request, assistant: Assistant, settings: Settings, session_id: str, fmt: str | None) -> Response:
    """JSON by default; a PDF for `Accept: application/pdf` (or ?format=pdf)."""
    packet = _packet(assistant, session_id)
    if fmt == "pdf" or (fmt is None and "application/pdf" in request.headers.get("accept", "")):
        from assistant.packet_pdf import PacketFontMissing, render_pdf

        try:
            pdf = render_pdf(packet, settings.pdf_font)
        except PacketFontMissing as exc:
            raise ApiError(406, "not_acceptable", str(exc)) from exc
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="packet-{session_id[:32]}.pdf"'})
    return JSONResponse(packet.model_dump(mode="json"))


def _embedder(assistant: Assistant):
    embedders = [d.embedder for d in getattr(assistant.kb, "dense", [])]
    chosen = next((e for e in embedders if getattr(e, "name", "") == "use"), embedders[0] if embedders else None)
    return chosen.embed_documents if chosen is not None else None


def install_staff(app: FastAPI, assistant: Assistant, settings: Settings, keys) -> None:
    from api.auth import KeyRegistry
    from assistant import review, stats

    admin = AdminCheck.from_registry(KeyRegistry.from_settings(settings))
    staff = [Depends(admin)]

    def journal():
        if assistant.journal is None:
            raise ApiError(404, "not_found", "this server keeps no review journal / 本服务未启用对话记录")
        return assistant.journal

    def titles() -> dict[str, str]:
        return {p.id: p.title for p in assistant.rulebook.programs}

    @app.get("/v1/sessions/{session_id}/packet", tags=["chat"], dependencies=[Depends(keys)], responses=PACKET_RESPONSES)
    def session_packet(request: Request, session_id: str, format: Literal["json", "pdf"] | None = None) -> Response:
        """The case packet for handing a conversation over: facts with sources, estimates with steps and quotes,
        open questions, responsible units. JSON, or a PDF with `Accept: application/pdf`."""
        return packet_response(request, assistant, settings, session_id, format)

    @app.post("/v1/staff/login", status_code=204, tags=["staff"], responses=STAFF_ERRORS)
    def login(request: Request) -> Response:
        """Send the admin key as `Authorization: Bearer`; the answer sets the staff cookie (which never holds the key)."""
        admin(request)
        from api.auth import bearer_key

        key = bearer_key(request)
        response = Response(status_code=204)
        if key and admin.is_admin_key(key):
            response.set_cookie(COOKIE, admin.session_cookie(key), max_age=SESSION_SECONDS, httponly=True,
                                samesite="strict", path="/")
        return response

    @app.post("/v1/staff/logout", status_code=204, tags=["staff"])
    def logout() -> Response:
        response = Response(status_code=204)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.get("/v1/staff/conversations", response_model=ConversationPage, tags=["staff"], dependencies=staff, responses=STAFF_ERRORS)
    def conversations(since: dt.date | None = None, until: dt.date | None = None, channel: str | None = None,
                      owner: str | None = None, programme: str | None = None, out_of_scope: bool | None = None,
                      confirm: bool | None = None, feedback: Literal["down", "up", "any", "none"] | None = None,
                      limit: int = Query(50, ge=1, le=review.MAX_PAGE), offset: int = Query(0, ge=0)) -> ConversationPage:
        """Conversations, most recent first, filtered by date, channel, tenant (key name), programme, out of scope,
        asked to confirm, feedback."""
        spec = review.ReviewFilter(since, until, channel or None, owner or None, programme or None, out_of_scope, confirm,
                                   feedback, limit, offset)
        return ConversationPage.model_validate(review.list_conversations(journal(), spec))

    @app.get("/v1/staff/options", tags=["staff"], dependencies=staff, responses=STAFF_ERRORS)
    def options() -> dict[str, Any]:
        return {**review.filter_options(journal()), "titles": titles()}

    @app.get("/v1/staff/conversations/{session_id}", tags=["staff"], dependencies=staff, responses=STAFF_ERRORS)
    def conversation(session_id: str) -> dict[str, Any]:
        found = review.conversation(journal(), session_id)
        if found is None:
            raise ApiError(404, "session_not_found", f"no conversation {session_id!r} in the journal / 没有这个会话的记录")
        return found

    @app.put("/v1/staff/conversations/{session_id}/expected", response_model=ExpectedOut, tags=["staff"], dependencies=staff,
             responses=STAFF_ERRORS)
    def mark_expected(session_id: str, body: ExpectedIn) -> ExpectedOut:
        """Mark the right answer (ceilings per article, or out of scope): it becomes an eval case on export."""
        turns = journal().turns(session_id)
        if not turns:
            raise ApiError(404, "session_not_found", f"no conversation {session_id!r} in the journal / 没有这个会话的记录")
        turn = turns[-1].turn if body.turn is None else body.turn
        if turn not in {t.turn for t in turns}:
            raise ApiError(422, "invalid_request", f"turn must be one of 0 … {turns[-1].turn} / 回答序号超出范围", ["turn"])
        bad = [a for a in body.expect if not a.strip() or len(a) > 20]
        if bad:
            raise ApiError(422, "invalid_request", "expect: keys are article ids such as \"1\" / 条款编号无效", ["expect"])
        if not body.out_of_scope and not body.expect and body.total is None and body.max_any is None:
            raise ApiError(422, "invalid_request", "say what is right: expect, total, max_any or out_of_scope / "
                                                   "请填写预期金额或标为超出范围", ["expect"])
        return ExpectedOut(**journal().set_expected(session_id, turn, body.expect, body.total, body.max_any, body.out_of_scope,
                                                    (body.note or "").strip() or None).__dict__)

    @app.get("/v1/staff/export", tags=["staff"], dependencies=staff,
             responses={**STAFF_ERRORS, 200: {"content": {"application/json": {}}}})
    def export(session_id: list[str] | None = Query(None), drop_user_ids: bool = False) -> Response:
        """The marked conversations as an award set (../shared/eval format) for `policy-assistant eval` and
        `policy-assistant regression add`; `drop_user_ids` leaves people's ids out."""
        from assistant.office_cases import export_cases

        data = export_cases(journal(), session_id, drop_user_ids)
        return Response(json.dumps(data, ensure_ascii=False, indent=1), media_type="application/json",
                        headers={"Content-Disposition": 'attachment; filename="office_cases.json"'})

    @app.get("/v1/staff/conversations/{session_id}/packet", tags=["staff"], dependencies=staff,
             responses={**STAFF_ERRORS, **PACKET_RESPONSES})
    def staff_packet(request: Request, session_id: str, format: Literal["json", "pdf"] | None = None) -> Response:
        return packet_response(request, assistant, settings, session_id, format)

    @app.get("/v1/staff/stats", response_model=Statistics, tags=["staff"], dependencies=staff, responses=STAFF_ERRORS)
    def statistics(since: dt.date | None = None, until: dt.date | None = None) -> Statistics:
        """Conversations per day and channel, questions and estimates per programme, facts most often missing,
        out-of-scope questions grouped by meaning, 👎 answers."""
        return Statistics.model_validate(stats.statistics(journal(), stats.Period(since, until), titles(), _embedder(assistant)))

    @app.get("/v1/staff/stats/{table}.csv", tags=["staff"], dependencies=staff,
             responses={**STAFF_ERRORS, 200: {"content": {"text/csv": {}}}})
    def statistics_csv(table: str, since: dt.date | None = None, until: dt.date | None = None) -> Response:
        if table not in stats.TABLES:
            raise ApiError(404, "not_found", f"no table {table!r}; one of {', '.join(sorted(stats.TABLES))} / 没有这个统计表")
        embed = _embedder(assistant) if table == "out_of_scope_groups" else None
        data = stats.statistics(journal(), stats.Period(since, until), titles(), embed)
        return Response(stats.to_csv(data[table]), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{table}.csv"'})

    @app.get("/v1/staff/charts/{name}.png", tags=["staff"], dependencies=staff,
             responses={**STAFF_ERRORS, 200: {"content": {"image/png": {}}}})
    def chart(name: str, since: dt.date | None = None, until: dt.date | None = None) -> Response:
        from assistant.charts import CHARTS, render_chart

        if name not in CHARTS:
            raise ApiError(404, "not_found", f"no chart {name!r}; one of {', '.join(CHARTS)} / 没有这个图表")
        data = stats.statistics(journal(), stats.Period(since, until), titles(), None)
        return Response(render_chart(name, data, settings.pdf_font), media_type="image/png")

    # ---- pages: plain HTML and JS over the endpoints above --------------------------------------
    @app.get("/staff/login", include_in_schema=False)
    def login_page() -> FileResponse:
        return FileResponse(PAGES / "login.html", media_type="text/html")

    @app.get("/staff", include_in_schema=False)
    def staff_root() -> RedirectResponse:
        return RedirectResponse("/staff/", status_code=307)

    @app.get("/staff/{page:path}", include_in_schema=False)
    def staff_page(request: Request, page: str) -> Response:
        if page not in PAGE_FILES:
            raise ApiError(404, "not_found", f"no such page: /staff/{page} / 没有这个页面")
        if not admin.allows(request):
            return RedirectResponse("/staff/login", status_code=303)
        name = PAGE_FILES[page]
        media = {"js": "text/javascript", "css": "text/css"}.get(name.rsplit(".", 1)[-1], "text/html")
        return FileResponse(PAGES / name, media_type=media, headers={"Cache-Control": "no-store"})
