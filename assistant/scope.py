"""Is a message about this policy? Decided from the intent classifier and the evidence, not from a word list.

The classifier (assistant/intent.py) has learned what questions about other policies, other cities, tasks and
chit-chat look like, and sees how close a message comes to the policy's own text. Two more pieces of evidence
weigh here: the facts of an award the message states, and an award conversation already under way. A
message that states facts of this policy's awards is refused only when the classifier is fairly sure (first
message) or sure (mid-conversation) that it is about something else.
"""

from __future__ import annotations

from assistant.intent import OUT_KINDS, Intent

SURE_OUT = 0.95  # mid-conversation, a message with facts of this policy is refused only when the classifier is sure
LIKELY_OUT = 0.50  # a first message: facts read by keywords (人才, 平台, 机器人) are weak evidence on their own


def decide(intent: Intent, has_facts: bool, in_conversation: bool) -> Intent:
    """The intent with `in_scope` set; a message pulled into scope by its facts becomes an `amount` question."""
    if intent.kind not in OUT_KINDS:
        return intent.with_scope(True)
    elsewhere = sum(intent.scores.get(k, 0.0) for k in OUT_KINDS)
    if has_facts and elsewhere < (SURE_OUT if in_conversation else LIKELY_OUT):
        return intent.with_scope(True, kind="amount")
    return intent.with_scope(False)
