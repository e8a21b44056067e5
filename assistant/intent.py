"""What a question asks: a classifier learned from labelled questions (data), plus retrieval evidence.

Features per message: character n-grams (TF-IDF, good for Chinese without segmentation), the multilingual
embedding the knowledge base already loads, and how close the message comes to the policy's own text (the
best cosine similarity to its chunks: the retrieval evidence). A logistic regression over them is trained
on `data/intents.yaml`'s `train` split at first use; the `heldout` split is only for measuring.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

log = logging.getLogger(__name__)
INTENTS_FILE = Path(__file__).with_name("data") / "intents.yaml"
OUT_KINDS = frozenset({"out_of_scope", "chit_chat"})
EMBEDDING_WEIGHT = 2.0  # the embedding's share beside the n-grams (both blocks are unit-length)
EVIDENCE_WEIGHT = 3.0
TOPIC_SIMILARITY = 0.6  # cosine (USE) to the nearest labelled silent topic, to name it


@dataclass(frozen=True)
class Example:
    text: str
    kind: str
    split: str  # train | heldout
    topic: dict[str, str] | None = None  # silent_topic: what the policy says nothing about, {zh, en}


@dataclass(frozen=True)
class Intent:
    kind: str  # amount, eligibility, combine, caps, frequency, validity_dates, document_meta, article_content,
    #            responsible_unit, procedure, silent_topic, out_of_scope, chit_chat
    confidence: float
    evidence: float  # best cosine similarity of the message to the policy text (0 without an embedder)
    in_scope: bool = True
    topic: dict[str, str] | None = None
    scores: dict[str, float] = field(default_factory=dict, compare=False)

    def with_scope(self, in_scope: bool, kind: str | None = None) -> Intent:
        return Intent(kind or self.kind, self.confidence, self.evidence, in_scope, self.topic, self.scores)


def load_examples(path: Path = INTENTS_FILE) -> list[Example]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    out = []
    for kind, splits in data["intents"].items():
        for split in ("train", "heldout"):
            for item in splits.get(split) or []:
                if isinstance(item, dict):
                    out.append(Example(item["q"], kind, split, item.get("topic")))
                else:
                    out.append(Example(str(item), kind, split))
    return out


class IntentClassifier:
    """Fitted once per process (per embedder and policy text); `classify` is one embedding and a dot product."""

    def __init__(self, embedder=None, policy_texts: list[str] | None = None, examples: list[Example] | None = None) -> None:
        self.embedder = embedder
        examples = examples if examples is not None else load_examples()
        self.train = [e for e in examples if e.split == "train"]
        self._policy = self._unit(np.asarray(embedder.embed_documents(policy_texts))) if embedder and policy_texts else None
        self._ngrams = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, lowercase=True)
        texts = [e.text for e in self.train]
        grams = self._ngrams.fit_transform(texts)
        dense = self._embed(texts)
        self._model = LogisticRegression(C=8.0, max_iter=3000, class_weight="balanced")
        self._model.fit(self._features(grams, dense), [e.kind for e in self.train])
        self._topics = [(e, v) for e, v in zip(self.train, dense, strict=True) if e.topic] if dense is not None else []

    @staticmethod
    def _unit(m: np.ndarray) -> np.ndarray:
        return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)

    def _embed(self, texts: list[str]) -> np.ndarray | None:
        if self.embedder is None:
            return None
        return self._unit(np.asarray([self.embedder.embed_query(t) for t in texts]))

    def _features(self, grams, dense: np.ndarray | None):
        blocks = [grams]
        if dense is not None:
            blocks.append(sparse.csr_matrix(dense * EMBEDDING_WEIGHT))
            evidence = dense @ self._policy.T if self._policy is not None else np.zeros((len(dense), 1))
            blocks.append(sparse.csr_matrix(evidence.max(axis=1, keepdims=True) * EVIDENCE_WEIGHT))
        return sparse.hstack(blocks).tocsr()

    def classify(self, text: str) -> Intent:
        """The intent by the learned model alone; `assistant.scope.decide` then weighs facts and context.

        A message that states facts and then asks ("…销售增量600万…。两个奖励能同时拿吗？") is also read by its
        last sentence, the probabilities averaged: the question, not the facts, says what is asked. Whether it
        is about this policy at all is the whole message's reading ("人才购房补贴…？怎么申请？" is not ours)."""
        texts = [text]
        last = last_sentence(text)
        if last and last != text.strip():
            texts.append(last)
        dense_all = self._embed(texts)
        probs = self._model.predict_proba(self._features(self._ngrams.transform(texts), dense_all))
        classes = list(self._model.classes_)
        whole = {k: float(p) for k, p in zip(classes, probs[0], strict=True)}
        asked = {k: float(p) for k, p in zip(classes, probs.mean(axis=0), strict=True)}
        kind = max(whole, key=whole.get)
        if kind not in OUT_KINDS:
            kind = max((k for k in asked if k not in OUT_KINDS), key=asked.get)
        dense = dense_all[:1] if dense_all is not None else None
        evidence = float((dense @ self._policy.T).max()) if dense is not None and self._policy is not None else 0.0
        topic = self._nearest_topic(dense[0]) if kind == "silent_topic" and dense is not None else None
        return Intent(kind, asked[kind] if kind not in OUT_KINDS else whole[kind], evidence, kind not in OUT_KINDS, topic, whole)

    def _nearest_topic(self, vector: np.ndarray) -> dict[str, str] | None:
        """Name what the policy is silent on from the closest labelled example, when it is close enough."""
        if not self._topics:
            return None
        example, best = max(((e, float(v @ vector)) for e, v in self._topics), key=lambda p: p[1])
        return example.topic if best >= TOPIC_SIMILARITY else None


SENTENCE_END = re.compile(r"(?<=[。！？?!；;\n])")


def last_sentence(text: str) -> str:
    """The last sentence with some words in it (a trailing "谢谢" or "?" alone is not the question)."""
    parts = [p.strip() for p in SENTENCE_END.split(text) if len(p.strip()) >= 4]
    return parts[-1] if parts else ""


_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _cached(embedder, policy_texts: tuple[str, ...]) -> IntentClassifier:
    return IntentClassifier(embedder, list(policy_texts))


def classifier_for(kb, doc_id: str) -> IntentClassifier:
    """The classifier over the knowledge base's USE embedder (25× faster per sentence than e5 here; else its
    first) and the policy's chunks, built once per process."""
    embedders = [index.embedder for index in getattr(kb, "dense", [])]
    embedder = next((e for e in embedders if getattr(e, "name", "") == "use"), embedders[0] if embedders else None)
    texts = tuple(c.search_text for c in kb.chunks.values() if c.doc_id == doc_id)
    with _LOCK:
        return _cached(embedder, texts)


def classify(text: str, classifier: IntentClassifier) -> Intent:
    return classifier.classify(text)
