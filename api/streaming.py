"""A chat turn as a stream of events, for `/v1/chat/stream` and `/v1/chat/completions` with `stream: true`.

The turn runs in its own thread (it holds the session's lock from start to end there); its LLM pieces,
already checked by assistant.grounding, come through a queue as they are produced. Events, in order:
`delta` (a piece of the answer) …, at most one `replaced` (the LLM was cut: discard the deltas so far; its
text is the deterministic answer that takes their place), then `reply` (the full reply object) or `error`.
Without an LLM, or when it failed before sending anything, the deterministic answer arrives as deltas.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from assistant.reply import ChatReply


def turn_events(run: Callable[[Callable[[str, str], None]], ChatReply]) -> Iterator[tuple[str, Any]]:
    """`run(on_delta)` performs the turn; yields (event, payload) as the turn produces them."""
    events: queue.Queue = queue.Queue()

    def worker() -> None:
        try:
            events.put(("reply", run(lambda event, text: events.put((event, text)))))
        except Exception as exc:  # reported to the client as an error event; the stream ends cleanly
            events.put(("error", exc))

    threading.Thread(target=worker, daemon=True, name="chat-stream").start()
    streamed = False
    while True:
        event, payload = events.get()
        if event in ("delta", "replaced"):
            streamed = True
            yield event, payload
        elif event == "reply":
            if not streamed:
                for line in (payload.answer_full or payload.answer).splitlines(keepends=True):
                    yield "delta", line
            yield "reply", payload
            return
        else:
            yield "error", payload
            return
