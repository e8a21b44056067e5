"""Choose the fusion weights (`knowledge/fusion.yaml`) on the tuning split and the dev set — never the held-out.

Every ranked list is computed once per question; then a grid of weights is scored by recall@1, recall@3 and
MRR without searching again. `--write` saves the best; the held-out split is only reported, after choosing.
Usage: python -m benchmarks.tune_retrieval [--write] [--engines e5,use] [--dense-query expanded|raw]
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from pathlib import Path

import numpy as np
import yaml

from knowledge.base import KnowledgeBase
from knowledge.embeddings import load_embedders
from knowledge.retrieval import FUSION_PATH, FusionWeights, HybridSearcher

ROOT = Path(__file__).resolve().parent.parent
TUNE = [ROOT / "eval" / "paraphrase_tune.json", ROOT.parent / "shared" / "eval" / "dev_questions.json"]
HELD_OUT = ROOT / "eval" / "paraphrase_heldout.json"
GRID = (0.0, 0.5, 1.0, 1.5)
K_GRID = (2, 5, 10, 20, 60)


def cases(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cases"] if path.exists() else []


NAMES = ["words", "bigrams", "evidence_words", "evidence_bigrams"]


def matrices(searcher: HybridSearcher, items: list[dict], names: list[str], k: int):
    """Per question: a (lists × sections) matrix of RRF contributions, the title bonus, the accepted columns."""
    searcher.weights = FusionWeights(rrf_k=k, dense_query=searcher.weights.dense_query)
    keys = sorted({(d.doc_id, s.section_id) for d in searcher.kb.documents.values() for s in d.sections})
    col = {key: i for i, key in enumerate(keys)}
    out = []
    for case in items:
        expanded = searcher.glossary.expand(case["q"])
        lists = {r.name: r for r in searcher.ranked_lists(expanded, every=True, raw=case["q"])}
        m = np.zeros((len(names), len(keys)))
        for row, name in enumerate(names):
            for rank, key in enumerate(lists[name].sections if name in lists else []):
                m[row, col[key]] += 1 / (k + rank + 1)
        bonus = np.array([h.score for h in _title_only(searcher, lists, expanded, keys)])
        accept = np.array([key[1] in case["accept"] for key in keys])
        out.append((m, bonus, accept))
    return out


def _title_only(searcher, lists, expanded, keys):
    """The title bonus alone per section (fuse with only the title weight on, over every section)."""
    from knowledge.retrieval import RankedList

    every = RankedList("all", 1e-9, list(keys))
    hits = {(h.doc_id, h.article): h for h in searcher.fuse([every], expanded, len(keys), {"all": 1e-9, "title": 1.0})}
    return [hits[key] for key in keys]


def score(prepared, W: np.ndarray) -> np.ndarray:
    """(combos × 3): recall@1, recall@3, MRR for every weight row of W at once."""
    total = np.zeros((len(W), 3))
    for m, bonus, accept in prepared:
        s = W @ m + bonus  # combos × sections
        best_ok = np.where(accept, s, -np.inf).max(axis=1)
        better = (s > best_ok[:, None]).sum(axis=1)  # sections ranked above the first accepted one
        better = np.where(best_ok > 0, better, 99)  # an accepted section with no score is not found
        total[:, 0] += better == 0
        total[:, 1] += better < 3
        total[:, 2] += np.where(better < 5, 1 / (better + 1), 0)
    return total / max(1, len(prepared))


def _best(tune, names: list[str], allowed: set[str]):
    """The weights with the best recall@1 + recall@3 + MRR on the tuning questions; ties: smaller weights."""
    grid = np.array(list(itertools.product(GRID, repeat=len(names))))
    for i, name in enumerate(names):
        if ":" in name and name.split(":")[1] not in allowed:
            grid = grid[grid[:, i] == 0]
    grid = grid[grid.sum(axis=1) > 0]
    result = score(tune, grid)
    objective = result.sum(axis=1) - 1e-4 * grid.sum(axis=1)
    best = int(np.argmax(objective))
    return dict(zip(names, grid[best].tolist(), strict=True)), result[best], float(objective[best])


def _cross_validated(tune, names: list[str], allowed: set[str], folds: int = 5) -> np.ndarray:
    """Weights chosen on 4/5 of the tuning questions, scored on the fifth left out: how well the choice travels."""
    total = np.zeros(3)
    for f in range(folds):
        fit = [m for i, m in enumerate(tune) if i % folds != f]
        test = [m for i, m in enumerate(tune) if i % folds == f]
        weights, _, _ = _best(fit, names, allowed)
        total += score(test, np.array([[weights[n] for n in names]]))[0] * len(test)
    return total / max(1, len(tune))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--engines", default="e5,use", help="which query embeddings may be used")
    parser.add_argument("--dense-query", default="expanded", choices=["expanded", "raw"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp), load_embedders("e5,use"))
        kb.ensure_corpus()
        searcher = HybridSearcher(kb, weights=FusionWeights(dense_query=args.dense_query))
        searcher.search("热身", 1)
        engines = [getattr(d.embedder, "name", "") for d in kb.dense]
        allowed = set(args.engines.split(","))
        names = NAMES + [f"dense:{e}" for e in engines] + [f"evidence:{e}" for e in engines]
        best_k = None
        for k in K_GRID:
            tune = matrices(searcher, [c for p in TUNE for c in cases(p)], names, k)
            found = _best(tune, names, allowed)
            cv = _cross_validated(tune, names, allowed)
            print(f"rrf_k {k}: tuning recall@1 {found[1][0]:.3f} recall@3 {found[1][1]:.3f} MRR {found[1][2]:.3f}; "
                  f"5-fold cross-validated recall@1 {cv[0]:.3f} recall@3 {cv[1]:.3f} MRR {cv[2]:.3f}")
            if best_k is None or sum(cv) > best_k[2]:
                best_k = (k, found, sum(cv))
        k, (weights, tuned, _), _ = best_k
        held = matrices(searcher, cases(HELD_OUT), names, k)
        print(f"rrf_k {k}, tuning split + dev: recall@1 {tuned[0]:.3f} recall@3 {tuned[1]:.3f} MRR {tuned[2]:.3f}")
        print("weights:", weights)
        h = score(held, np.array([[weights[n] for n in names]]))[0]
        print(f"held-out (reported only): recall@1 {h[0]:.3f} recall@3 {h[1]:.3f} MRR {h[2]:.3f}")
        if args.write:
            data = {"words": weights["words"], "bigrams": weights["bigrams"],
                    "evidence_words": weights["evidence_words"], "evidence_bigrams": weights["evidence_bigrams"],
                    "dense": {n: weights[f"dense:{n}"] for n in engines},
                    "evidence_dense": {n: weights[f"evidence:{n}"] for n in engines},
                    "title": 1.0, "rrf_k": k, "dense_query": args.dense_query}
            header = ("# Fusion weights for knowledge/retrieval.py, chosen by `python -m benchmarks.tune_retrieval --write"
                      f" --engines {args.engines}`\n# on eval/paraphrase_tune.json + the dev set (never the held-out split).\n")
            FUSION_PATH.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
            print(f"wrote {FUSION_PATH}")


if __name__ == "__main__":
    main()
