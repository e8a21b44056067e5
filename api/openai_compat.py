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
        try:
            reply = assistant.chat(question, body.session_id, body.user, "hotline", history=history)
        except SessionNotFound as exc:
            raise ApiError(404, "session_not_found", f"unknown session_id {body.session_id!r}") from exc
        except InputError as exc:
            raise ApiError(422, "invalid_request", str(exc), ["messages"]) from exc
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        content = reply.answer_full or reply.answer
        extra = reply.model_dump(mode="json")
        if not body.stream:
            return ChatCompletionResponse(
                id=completion_id, object="chat.completion", created=created, model=MODEL_NAME,
                choices=[CompletionChoice(index=0, message={"role": "assistant", "content": content}, finish_reason="stop")],
                usage={"prompt_tokens": len(question), "completion_tokens": len(content),
                       "total_tokens": len(question) + len(content)},
                policy_assistant=reply)

        def chunks():
            base = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_NAME}
            first = {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
            yield f"data: {json.dumps(first, ensure_ascii=False)}\n\n"
            for line in content.splitlines(keepends=True):
                piece = {**base, "choices": [{"index": 0, "delta": {"content": line}, "finish_reason": None}]}
                yield f"data: {json.dumps(piece, ensure_ascii=False)}\n\n"
            last = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "policy_assistant": extra}
            yield f"data: {json.dumps(last, ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
