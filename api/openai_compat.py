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
from api.streaming import turn_events
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
            try:
                assistant.store.load(body.session_id)
            except SessionNotFound as exc:
                raise ApiError(404, "session_not_found", f"unknown session_id {body.session_id!r}", ["session_id"]) from exc
        history = [u for u in users[:-1] if u.strip()][-20:]
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def run(on_delta=None):
            return assistant.chat(question, body.session_id, body.user, "hotline", history=history, owner=caller.key_name,
                                  on_delta=on_delta)

        def usage_of(content: str) -> dict[str, int]:
            return {"prompt_tokens": len(question), "completion_tokens": len(content),
                    "total_tokens": len(question) + len(content)}

        if not body.stream:
            try:
                reply = run()
            except SessionNotFound as exc:
                raise ApiError(404, "session_not_found", f"unknown session_id {body.session_id!r}", ["session_id"]) from exc
            except SessionBusy as exc:
                raise ApiError(409, "session_busy", "another turn of this session is still running; retry shortly",
                               ["session_id"], headers={"Retry-After": "1"}) from exc
            except InputError as exc:
                raise ApiError(400, "invalid_request", str(exc), ["messages"]) from exc
            content = reply.answer_full or reply.answer
            return ChatCompletionResponse(
                id=completion_id, object="chat.completion", created=created, model=MODEL_NAME,
                choices=[CompletionChoice(index=0, message={"role": "assistant", "content": content}, finish_reason="stop")],
                usage=usage_of(content), policy_assistant=reply)
        include_usage = bool(body.stream_options and body.stream_options.include_usage)

        def chunks():
            base = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_NAME}

            def chunk(delta: dict, finish: str | None = None, event: str | None = None, **extra) -> str:
                data = json.dumps({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra},
                                  ensure_ascii=False)
                return (f"event: {event}\n" if event else "") + f"data: {data}\n\n"

            yield chunk({"role": "assistant", "content": ""})
            content = ""
            for event, payload in turn_events(run):
                if event == "delta":
                    content += payload
                    yield chunk({"content": payload})
                elif event == "replaced":  # discard what came so far: this content is the whole answer
                    content = payload
                    yield chunk({"content": payload}, event="replaced", policy_assistant_replaced=True)
                elif event == "reply":
                    yield chunk({}, "stop", policy_assistant=payload.model_dump(mode="json"))
                else:
                    code = "session_busy" if isinstance(payload, SessionBusy) else "turn_failed"
                    yield chunk({}, "error", error={"code": code, "message": "the turn could not be completed"})
            if include_usage:  # OpenAI's last chunk: no choices, the usage of the whole request
                yield f"data: {json.dumps({**base, 'choices': [], 'usage': usage_of(content)}, ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
