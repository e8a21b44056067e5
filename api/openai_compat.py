"""`/v1/chat/completions` and `/v1/models`: the assistant behind OpenAI's shape, so an OpenAI SDK or gateway calls
it unchanged (content parts, `stream_options.include_usage`, OpenAI's error object with 400/401/404/429).

The last user message is the question; earlier user messages are read for their facts. The reply's
citations and estimates travel in the extra field `policy_assistant`.
"""

from __future__ import annotations

import json
import time
import uuid

from fastapi import Depends, FastAPI
from fastapi.responses import StreamingResponse

from api.auth import Caller
from api.errors import ApiError
from api.schemas import (
    ChatCompletionRequest,
    ChatCompletionResponse,
    CompletionChoice,
    ModelList,
    ModelOut,
    OpenAIErrorResponse,
    checked_message,
)
from assistant.sessions import SessionBusy, SessionNotFound
from assistant.turn import Assistant, InputError

MODEL_NAME = "changsha-policy-assistant"
MODEL_CREATED = 1766102400  # 2025-12-19, the policy's issue date
OPENAI_ERRORS = {status: {"model": OpenAIErrorResponse} for status in (400, 401, 404, 409, 413, 415, 422, 429)}


def install_openai_routes(app: FastAPI, assistant: Assistant, keys, limiter, own) -> None:
    model = ModelOut(id=MODEL_NAME, object="model", created=MODEL_CREATED, owned_by="changsha-policy-assistant")

    @app.get("/v1/models", response_model=ModelList, tags=["openai-compatible"], responses=OPENAI_ERRORS,
             dependencies=[Depends(keys)])
    def models() -> ModelList:
        """OpenAI's model list, for SDKs and gateways that list models first."""
        return ModelList(object="list", data=[model])

    @app.get("/v1/models/{model_id}", response_model=ModelOut, tags=["openai-compatible"], responses=OPENAI_ERRORS,
             dependencies=[Depends(keys)])
    def one_model(model_id: str) -> ModelOut:
        if model_id != MODEL_NAME:
            raise ApiError(404, "model_not_found", f"The model '{model_id}' does not exist", ["model"])
        return model

    @app.post("/v1/chat/completions", response_model=ChatCompletionResponse, tags=["openai-compatible"],
              responses={**OPENAI_ERRORS,
                         200: {"content": {"text/event-stream": {}}, "description": "with stream: true, OpenAI chunks"}})
    def chat_completions(body: ChatCompletionRequest, caller: Caller = Depends(keys)):
        users = []
        for i, message in enumerate(body.messages):
            try:
                text = message.text()
            except ValueError as exc:
                raise ApiError(400, "invalid_request", str(exc), [f"messages.{i}.content"]) from exc
            if message.role == "user":
                users.append(text)
        if not users:
            raise ApiError(400, "invalid_request", "messages must contain a user message / 需要至少一条用户消息", ["messages"])
        try:
            question = checked_message(users[-1])
        except ValueError as exc:
            raise ApiError(400, "invalid_request", str(exc), ["messages"]) from exc
        caller = caller.acting_for(body.user)
        limiter.check(caller)
        if body.session_id:
            own(caller, body.session_id)
        history = [u for u in users[:-1] if u.strip()][-20:]
        try:
            reply = assistant.chat(question, body.session_id, body.user, "hotline", history=history, owner=caller.key_name)
        except SessionNotFound as exc:
            raise ApiError(404, "session_not_found", f"unknown session_id {body.session_id!r}", ["session_id"]) from exc
        except SessionBusy as exc:
            raise ApiError(409, "session_busy", "another turn of this session is still running; retry shortly",
                           ["session_id"], headers={"Retry-After": "1"}) from exc
        except InputError as exc:
            raise ApiError(400, "invalid_request", str(exc), ["messages"]) from exc
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        content = reply.answer_full or reply.answer
        usage = {"prompt_tokens": len(question), "completion_tokens": len(content), "total_tokens": len(question) + len(content)}
        if not body.stream:
            return ChatCompletionResponse(
                id=completion_id, object="chat.completion", created=created, model=MODEL_NAME,
                choices=[CompletionChoice(index=0, message={"role": "assistant", "content": content}, finish_reason="stop")],
                usage=usage, policy_assistant=reply)
        extra = reply.model_dump(mode="json")
        include_usage = bool(body.stream_options and body.stream_options.include_usage)

        def chunks():
            base = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_NAME}
            first = {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
            yield f"data: {json.dumps(first, ensure_ascii=False)}\n\n"
            for line in content.splitlines(keepends=True):
                piece = {**base, "choices": [{"index": 0, "delta": {"content": line}, "finish_reason": None}]}
                yield f"data: {json.dumps(piece, ensure_ascii=False)}\n\n"
            last = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "policy_assistant": extra}
            yield f"data: {json.dumps(last, ensure_ascii=False)}\n\n"
            if include_usage:  # OpenAI's last chunk: no choices, the usage of the whole request
                yield f"data: {json.dumps({**base, 'choices': [], 'usage': usage}, ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
