"""Around every request: a request id, a body-size limit, JSON-only for the API, an access log without bodies.
And the two policies a hotline needs: API keys and per-user rate limits (FastAPI dependencies).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections import deque

from fastapi import Request

from api.errors import ApiError

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
        payload = json.dumps({"error": {"code": code, "message": message, "request_id": request_id}}, ensure_ascii=False).encode()
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


# ---- keys and limits -----------------------------------------------------------------------------
def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


class KeyCheck:
    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = set(keys)

    def __call__(self, request: Request) -> str | None:
        if not self.keys:
            return None
        key = bearer_key(request)
        if key not in self.keys:
            raise ApiError(401, "unauthorized", "a valid API key is required: Authorization: Bearer <key> / 需要有效的 API 密钥",
                           headers={"WWW-Authenticate": "Bearer"})
        return key


def parse_rate(spec: str | None) -> tuple[int, float] | None:
    """"30/minute" → (30, 60.0); also /second, /hour, /day."""
    if not spec:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(second|sec|s|minute|min|m|hour|h|day|d)\s*", spec.lower())
    if not match:
        raise ValueError(f"POLICY_RATE_LIMIT must look like 30/minute, not {spec!r}")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)[0]]
    return int(match.group(1)), float(seconds)


class RateLimiter:
    """A sliding window per caller: user_id first, then API key, then client address."""

    def __init__(self, spec: str | None) -> None:
        self.rate = parse_rate(spec)
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, request: Request, user_id: str | None = None) -> None:
        if self.rate is None:
            return
        key = bearer_key(request)
        caller = (f"user:{user_id}" if user_id else f"key:{hashlib.sha256(key.encode()).hexdigest()[:16]}" if key
                  else f"addr:{request.client.host if request.client else '-'}")
        limit, window = self.rate
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(caller, deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                retry = max(1, int(hits[0] + window - now + 0.999))
                raise ApiError(429, "rate_limited", f"too many requests; retry in {retry} s / 请求过于频繁，请 {retry} 秒后再试",
                               headers={"Retry-After": str(retry)})
            hits.append(now)
