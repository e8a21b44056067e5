"""What an amount in a message is: learned from a labelled corpus, not listed sentence by sentence.

Every amount gets a role — it measures a fact (`value`), is an earlier or later level of a quantity a fact is
derived from (`previous`, `current`), a stated difference (`delta`), an award already received (this year, in
total, each year), a cost that does not count (`excluded`), a figure someone demands or computes (`claim`), or
something else (`other`). The role is fact-agnostic: a logistic regression over the characters and words
around the amount and over the lexicon's cue classes (any fact's cue, a quantity word, a not-this word, a
received word …), so a fact a later rule adds is read with the phrasings learned for all the others.
Training data: `eligibility/lexicon/amount_roles*.jsonl` (held-out files, named `*heldout*`, are never read here).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from assistant.amounts import Amount, find_amounts, normalise
from assistant.understanding.lexicon import LEXICON_DIR, Lexicon

ROLES = ["value", "previous", "current", "delta", "received_this_year", "received_total", "received_each_year",
         "excluded", "claim", "other"]
SENTENCE_END = re.compile(r"[。；;！!？?\n]|\.(?=\s)")
YEAR = re.compile(r"(20\d{2})\s*年?")
LAST_YEAR = re.compile(r"去年|上年|上一年|前一年|上年度|last year|previous year|prior year", re.I)
THIS_YEAR = re.compile(r"今年|本年|当年|这一年|this year|今年度|本年度", re.I)
FROM = re.compile(r"从|由|from", re.I)
TO = re.compile(r"涨到|增长到|增加到|提高到|升到|增至|达到|到了|到|变成|rose to|grew to|increased to|to", re.I)
WORD = re.compile(r"[a-z]+")
CLAUSE_MARK = re.compile(r"[，,、:：]")
PERCENT = re.compile(r"\d+\s*[%％]|百分之|percent")


@dataclass(frozen=True)
class RoleGuess:
    role: str
    confidence: float


def _sentence(norm: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in SENTENCE_END.finditer(norm, 0, start)), default=0)
    right = SENTENCE_END.search(norm, end)
    return left, right.start() if right else len(norm)


def _masked(norm: str, lo: int, hi: int, amounts: list[Amount]) -> str:
    """The text between lo and hi with other amounts as '#' and digits as '0'."""
    chars = list(norm[lo:hi])
    for a in amounts:
        for i in range(max(a.start, lo), min(a.end, hi)):
            chars[i - lo] = "#" if i == max(a.start, lo) else ""
    return re.sub(r"\d", "0", "".join(chars))


def features(norm: str, amount: Amount, amounts: list[Amount], lexicon: Lexicon) -> dict[str, float]:
    s_lo, s_hi = _sentence(norm, amount.start, amount.end)
    left = _masked(norm, max(s_lo, amount.start - 20), amount.start, amounts)
    right = _masked(norm, amount.end, min(s_hi, amount.end + 14), amounts)
    f: dict[str, float] = {"bias": 1.0}
    near_l, far_l, near_r = left[-7:], left[:-7], right[:7]
    for name, text in (("Ln", near_l), ("Lf", far_l), ("Rn", near_r), ("Rf", right[7:])):
        for n in (1, 2, 3):
            for i in range(len(text) - n + 1):
                gram = text[i:i + n]
                if gram.strip():
                    f[f"{name}{n}:{gram}"] = 1.0
    for name, text in (("Lw", left), ("Rw", right)):
        words = WORD.findall(text)
        chosen = words[-4:] if name == "Lw" else words[:4]
        for w in chosen:
            f[f"{name}:{w}"] = 1.0
        for a, b in zip(chosen, chosen[1:], strict=False):
            f[f"{name}2:{a}_{b}"] = 1.0
    classes = {"cue": lexicon.cue_any, "qty": lexicon.quantity_any, "not": lexicon.not_this_any,
               "rcv": re.compile(lexicon.received.cues, re.I), "rthis": re.compile(lexicon.received.this_year, re.I),
               "rtotal": re.compile(lexicon.received.total, re.I), "each": re.compile(lexicon.received.each_year, re.I),
               "first": re.compile(lexicon.received.first_time, re.I), "down": lexicon.decrease,
               "ask": lexicon.question, "last": LAST_YEAR, "this": THIS_YEAR, "pct": PERCENT}
    clause_lo = max([s_lo] + [m.end() for m in CLAUSE_MARK.finditer(norm, s_lo, amount.start)])
    clause_hi = next((m.start() for m in CLAUSE_MARK.finditer(norm, amount.end, s_hi)), s_hi)
    own_left, own_right = norm[clause_lo:amount.start], norm[amount.end:clause_hi]
    nearest, nearest_at = None, -1
    for cls, pattern in classes.items():
        for side, text in (("Ln", near_l), ("Lf", far_l), ("Rn", near_r), ("CL", own_left), ("CR", own_right)):
            if text and pattern.search(text):
                f[f"c:{cls}:{side}"] = 1.0
        for m in pattern.finditer(own_left):
            if m.end() > nearest_at:
                nearest, nearest_at = cls, m.end()
    if nearest:
        f[f"nearest:{nearest}"] = 1.0
    in_sentence = [a for a in amounts if s_lo <= a.start < s_hi]
    position = in_sentence.index(amount) if amount in in_sentence else 0
    f[f"pos:{'only' if len(in_sentence) == 1 else 'first' if position == 0 else 'last' if position == len(in_sentence) - 1 else 'mid'}"] = 1.0
    years = [(m.start(), int(m.group(1))) for m in YEAR.finditer(norm, s_lo, s_hi) if not norm[m.end():m.end() + 1].isdigit()]
    before = [y for at, y in years if at < amount.start]
    if before and len({y for _, y in years}) >= 2:
        mine = before[-1]
        f["year:earliest" if mine == min(y for _, y in years) else "year:latest" if mine == max(y for _, y in years) else "year:mid"] = 1.0
    if position > 0:
        between = norm[in_sentence[position - 1].end:amount.start]
        if TO.search(between) and FROM.search(norm[max(s_lo, in_sentence[position - 1].start - 4):in_sentence[position - 1].start]):
            f["fromto:second"] = 1.0
    if position + 1 < len(in_sentence):
        between = norm[amount.end:in_sentence[position + 1].start]
        if TO.search(between) and FROM.search(left[-4:]):
            f["fromto:first"] = 1.0
    return f


def training_rows(files: list[Path], lexicon: Lexicon) -> tuple[list[dict], list[str]]:
    xs, ys = [], []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            text = row["text"]
            amounts, norm = find_amounts(text), normalise(text)
            used: set[int] = set()
            for label in row["amounts"]:
                at = label.get("start")
                match = next((a for a in amounts if at is not None and a.start <= at < a.end), None) or next(
                    (a for a in amounts if a.start not in used and (label["span"] in a.text or a.text in label["span"])), None)
                if match is None or label["role"] not in ROLES:
                    continue
                used.add(match.start)
                xs.append(features(norm, match, amounts, lexicon))
                ys.append(label["role"])
    return xs, ys


class RoleClassifier:
    def __init__(self, lexicon: Lexicon, files: list[Path] | None = None) -> None:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        files = files if files is not None else training_files()
        xs, ys = training_rows(files, lexicon)
        if len(set(ys)) < 2:
            raise ValueError("the amount-role corpus has fewer than two roles")
        self.lexicon = lexicon
        self.vectorizer = DictVectorizer()
        self.model = LogisticRegression(solver="saga", max_iter=5000, C=4.0, random_state=0)
        self.model.fit(_int32(self.vectorizer.fit_transform(xs)), ys)
        self.size = len(ys)

    def guess(self, text: str, amounts: list[Amount]) -> list[RoleGuess]:
        if not amounts:
            return []
        norm = normalise(text)
        matrix = _int32(self.vectorizer.transform([features(norm, a, amounts, self.lexicon) for a in amounts]))
        out = []
        for probabilities in self.model.predict_proba(matrix):
            best = int(probabilities.argmax())
            out.append(RoleGuess(str(self.model.classes_[best]), float(probabilities[best])))
        return out


def _int32(matrix):
    """saga takes 32-bit sparse indices; DictVectorizer may give 64-bit ones."""
    matrix.indices, matrix.indptr = matrix.indices.astype("int32"), matrix.indptr.astype("int32")
    return matrix


def training_files() -> list[Path]:
    return sorted(p for p in LEXICON_DIR.glob("amount_roles*.jsonl") if "heldout" not in p.name)


_LOCK = threading.Lock()
_CLASSIFIERS: dict[int, RoleClassifier] = {}


def classifier_for(lexicon: Lexicon) -> RoleClassifier:
    """One trained classifier per lexicon, trained on first use (a fraction of a second)."""
    with _LOCK:
        found = _CLASSIFIERS.get(id(lexicon))
        if found is None:
            found = _CLASSIFIERS[id(lexicon)] = RoleClassifier(lexicon)
        return found
