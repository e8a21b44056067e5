"""`/v1/chat/completions`: the assistant behind OpenAI's shape, so any OpenAI SDK can call it.

The last user message is the question; earlier user messages are read for their facts. The reply's
citations and estimates travel in the extra field `policy_assistant`.
"""

from __future__ import annotations

import json
import time
import uuid

from fastapi import Depends, FastAPI, Request
from fastapi.responses import StreamingResponse

from api.errors import ApiError
from api.schemas import ChatCompletionRequest, ChatCompletionResponse, CompletionChoice, checked_message
from api.streaming import turn_events
from assistant.sessions import SessionNotFound
from assistant.turn import Assistant, InputError

MODEL_NAME = "changsha-policy-assistant"


def install_openai_routes(app: FastAPI, assistant: Assistant, keys, limiter) -> None:
    @app.post("/v1/chat/completions", response_model=ChatCompletionResponse, tags=["openai-compatible"],
              dependencies=[Depends(keys)],
              responses={200: {"content": {"text/event-stream": {}}, "description": "with stream: true, OpenAI chunks"}})
    def chat_completions(request: Request, body: ChatCompletionRequest):
        users = [m.content or "" for m in body.messages if m.role == "user"]
        if not users:
            raise ApiError(422, "invalid_request", "messages must contain a user message / 需要至少一条用户消息", ["messages"])
        try:
            question = checked_message(users[-1])
        except ValueError as exc:
            raise ApiError(422, "invalid_request", str(exc), ["messages"]) from exc
        limiter.check(request, body.user)
        history = [u for u in users[:-1] if u.strip()][-20:]
        if body.session_id:
            try:
                assistant.store.load(body.session_id)
            except SessionNotFound as exc:
                raise ApiError(404, "session_not_found", f"unknown session_id {body.session_id!r}") from exc
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def run(on_delta=None):
            return assistant.chat(question, body.session_id, body.user, "hotline", history=history, on_delta=on_delta)

        if not body.stream:
            try:
                reply = run()
            except InputError as exc:
                raise ApiError(422, "invalid_request", str(exc), ["messages"]) from exc
            content = reply.answer_full or reply.answer
            return ChatCompletionResponse(
                id=completion_id, object="chat.completion", created=created, model=MODEL_NAME,
                choices=[CompletionChoice(index=0, message={"role": "assistant", "content": content}, finish_reason="stop")],
                usage={"prompt_tokens": len(question), "completion_tokens": len(content),
                       "total_tokens": len(question) + len(content)},
                policy_assistant=reply)

        def chunks():
            base = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_NAME}

            def chunk(delta: dict, finish: str | None = None, event: str | None = None, **extra) -> str:
                data = json.dumps({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra},
                                  ensure_ascii=False)
                return (f"event: {event}\n" if event else "") + f"data: {data}\n\n"

            yield chunk({"role": "assistant", "content": ""})
            for event, payload in turn_events(run):
                if event == "delta":
                    yield chunk({"content": payload})
                elif event == "replaced":  # discard what came so far: this content is the whole answer
                    yield chunk({"content": payload}, event="replaced", policy_assistant_replaced=True)
                elif event == "reply":
                    yield chunk({}, "stop", policy_assistant=payload.model_dump(mode="json"))
                else:
                    yield chunk({}, "error", error={"code": "turn_failed", "message": "the turn could not be completed"})
            yield "data: [DONE]\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
