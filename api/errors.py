"""One error shape for the contract's endpoints: {"error": {"code", "message", "request_id", "fields"}}, never a 5xx
for input. The OpenAI-compatible family (/v1/chat/completions, /v1/models) answers OpenAI's error object instead,
{"error": {"message", "type", "param", "code"}}, with 400 where FastAPI would say 422 — what SDKs and gateways expect.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("policy_assistant.api")

STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                406: "not_acceptable", 413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid_request",
                409: "conflict", 429: "rate_limited"}
OPENAI_PATHS = ("/v1/chat/completions", "/v1/models")
OPENAI_TYPES = {401: "invalid_request_error", 403: "permission_error", 404: "invalid_request_error", 409: "conflict_error",
                429: "rate_limit_error"}
OPENAI_CODES = {"unauthorized": "invalid_api_key", "rate_limited": "rate_limit_exceeded"}


def is_openai_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in OPENAI_PATHS)


def error_payload(path: str, status: int, code: str, message: str, request_id: str | None,
                  fields: list[str] | None = None) -> tuple[int, dict]:
    """The status and body of an error on `path`: the contract's shape, or OpenAI's on its family."""
    if is_openai_path(path):
        status = 400 if status == 422 else status
        kind = OPENAI_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
        return status, {"error": {"message": message, "type": kind, "param": fields[0] if fields else None,
                                  "code": OPENAI_CODES.get(code, code)}}
    body = {"code": code, "message": message, "request_id": request_id}
    if fields:
        body["fields"] = fields
    return status, {"error": body}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields, self.headers = status, code, message, fields, headers


def error_response(request: Request | None, status: int, code: str, message: str, fields: list[str] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None) if request is not None else None
    path = request.url.path if request is not None else ""
    status, body = error_payload(path, status, code, message, request_id, fields)
    return JSONResponse(body, status_code=status, headers=headers)


def _describe_validation(exc: RequestValidationError) -> tuple[str, str, list[str]]:
    fields, parts, code = [], [], "invalid_request"
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ()) if x != "body"]
        where = ".".join(loc) or "body"
        if err.get("type") == "json_invalid":
            code = "invalid_json"
            parts.append("the body is not valid JSON / 请求体不是合法的 JSON")
            continue
        if err.get("type") == "extra_forbidden":
            parts.append(f"unknown field '{where}' / 未知字段 {where}")
        elif err.get("type") == "missing":
            parts.append(f"missing field '{where}' / 缺少字段 {where}")
        else:
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            parts.append(f"{where}: {msg}")
        fields.append(where)
    return code, "; ".join(parts) or "invalid request", fields


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(request, exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        code, message, fields = _describe_validation(exc)
        return error_response(request, 400 if code == "invalid_json" else 422, code, message, fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.url.path} / 没有这个接口"
        return error_response(request, exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return error_response(request, 500, "internal_error", "an unexpected error; it has been logged / 服务内部错误，已记录")
