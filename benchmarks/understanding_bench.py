"""Understanding one message (normalise, amounts, roles, projects, words → Extraction, merged into a session):
p50/p95 per message over every turn of the conversation sets, and the amount-role classifier's accuracy on its
held-out sentences (eval/amount_roles_heldout.jsonl, never trained on)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from assistant.extraction import extract
from assistant.state import ConversationState, merge
from assistant.understanding.lexicon import default_lexicon
from assistant.understanding.roles import classifier_for, training_rows
from benchmarks.common import percentiles, save
from eligibility.rules import default_rules

ROOT = Path(__file__).resolve().parent.parent
SETS = [ROOT.parent / "shared" / "eval" / "dev_conversations.json", ROOT / "eval" / "conversations_train.json"]
HELDOUT_ROLES = ROOT / "eval" / "amount_roles_heldout.jsonl"


def main() -> dict:
    lexicon, rules = default_lexicon(), default_rules()
    started = time.perf_counter()
    classifier = classifier_for(lexicon)
    trained_s = time.perf_counter() - started
    conversations = [c["turns"] for path in SETS if path.exists() for c in json.loads(path.read_text("utf-8"))["cases"]]
    samples = []
    for _ in range(3):
        for turns in conversations:
            state = ConversationState()
            for turn in turns:
                start = time.perf_counter()
                merge(state, extract(turn, lexicon, rules), rules, 2026, lexicon)
                samples.append((time.perf_counter() - start) * 1000)
    result = {"message": percentiles(samples), "classifier_training_s": round(trained_s, 2),
              "training_amounts": classifier.size}
    if HELDOUT_ROLES.exists():
        xs, ys = training_rows([HELDOUT_ROLES], lexicon)
        predicted = classifier.model.predict(classifier.vectorizer.transform(xs))
        result["heldout_role_accuracy"] = round(sum(p == y for p, y in zip(predicted, ys, strict=True)) / len(ys), 3)
        result["heldout_amounts"] = len(ys)
    save("understanding", result)
    return result


if __name__ == "__main__":
    main()
