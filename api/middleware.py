"""Around every request: a request id, a body-size limit, JSON-only for the API, an access log without bodies.
Keys and callers are in `api.auth`, rate limits in `api.ratelimit`.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from api.errors import error_payload

access_log = logging.getLogger("policy_assistant.access")
error_log = logging.getLogger("policy_assistant.api")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
UI_BODY_LIMIT = 1024 * 1024


class RequestMiddleware:
    """Pure ASGI, so streamed responses stream; buffers request bodies only up to the limit."""

    def __init__(self, app, max_body_bytes: int, log_bodies: bool = False) -> None:
        self.app, self.max_body_bytes, self.log_bodies = app, max_body_bytes, log_bodies

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        given = headers.get("x-request-id", "")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        path, method = scope.get("path", ""), scope.get("method", "")
        status_holder = {"status": 0}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", request_id.encode())]
            await send(message)

        api = path.startswith("/v1/")
        limit = self.max_body_bytes if api or path == "/healthz" else UI_BODY_LIMIT
        body = b""
        if method in {"POST", "PUT", "PATCH"}:
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                return await self._reject(send_with_id, 413, "payload_too_large",
                                          f"body larger than {limit} bytes / 请求体超过 {limit} 字节", request_id, started, scope)
            while True:
                message = await receive()
                body += message.get("body", b"")
                if len(body) > limit:
                    return await self._reject(send_with_id, 413, "payload_too_large",
                                              f"body larger than {limit} bytes / 请求体超过 {limit} 字节", request_id, started, scope)
                if not message.get("more_body"):
                    break
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            if api and media != "application/json":
                return await self._reject(send_with_id, 415, "unsupported_media_type",
                                          "send JSON with Content-Type: application/json / 请以 JSON 格式提交", request_id, started, scope)

            replayed = False

            async def replay():
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            inner_receive = replay
        else:
            inner_receive = receive
        try:
            await self.app(scope, inner_receive, send_with_id)
        except Exception:  # a bug, not the input: logged, and answered here so the connection is not cut
            error_log.exception("unexpected error on %s (request %s)", path, request_id)
            if status_holder["status"] != 0:
                raise
            await self._reject(send_with_id, 500, "internal_error",
                               "an unexpected error; it has been logged / 服务内部错误，已记录", request_id, started, scope)
            return
        self._log(scope, status_holder["status"], request_id, started, body)

    async def _reject(self, send, status, code, message, request_id, started, scope):
        status, body = error_payload(scope.get("path", ""), status, code, message, request_id)
        payload = json.dumps(body, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})
        self._log(scope, status, request_id, started, b"")

    def _log(self, scope, status, request_id, started, body: bytes) -> None:
        client = scope.get("client") or ("-", 0)
        line = (f'{client[0]} "{scope.get("method")} {scope.get("path")}" {status} '
                f"{(time.perf_counter() - started) * 1000:.1f}ms id={request_id}")
        if self.log_bodies and body:
            line += f" body={body[:2000].decode('utf-8', 'replace')!r}"
        access_log.info(line)
