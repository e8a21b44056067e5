"""Retrieval quality and behaviour on the real policy."""

import pytest
from conftest import SHARED_EVAL

from assistant.evaluation import evaluate_questions, load_eval_file


@pytest.mark.parametrize("query,article", [
    ("我们做陪伴机器人的，今年新品卖得不错，有补贴吗", "1"),
    ("智能标注公共服务平台的运营方最多奖多少", "6"),
    ("第三条讲了什么", "3"),
    ("支持垂类大模型研发有哪些奖励", "2"),
    ("How long is the policy valid?", "closing"),
    ("Is there a subsidy for smart glasses sales growth?", "1"),
    ("数据交易所运营方有奖励吗", "7"),
    ("银行贷款支持", "9"),
])
def test_finds_the_article(searcher, query, article):
    hits = searcher.search(query, 3)
    assert article in [h.article for h in hits], [h.article for h in hits]


def test_hits_carry_exact_text_and_passage(searcher):
    hit = searcher.search("揭榜挂帅优胜单位奖励", 1)[0]
    assert hit.article == "4" and hit.title == "提升研发创新能力"
    assert hit.text[hit.start:hit.end] == hit.passage
    assert hit.responsible_units == ["市工业和信息化局"]


def test_empty_and_nonsense_queries(searcher):
    assert searcher.search("", 5) == []
    assert searcher.search("   ", 5) == []
    assert len(searcher.search("😀😀😀", 5)) <= 5
    assert len(searcher.search("x" * 5000, 3)) <= 3


@pytest.mark.skipif(not (SHARED_EVAL / "dev_questions.json").exists(), reason="shared/eval not beside the checkout")
def test_dev_set_recall(searcher):
    """The bar: recall@1 ≥ 0.93 and recall@3 = 1 on the development set."""
    data = load_eval_file(SHARED_EVAL / "dev_questions.json")
    report = evaluate_questions(lambda q: [h.article for h in searcher.search(q, 5)], data["cases"], "ours")
    assert report.recall_at_1 >= 0.93, report.misses
    assert report.recall_at_3 >= 1.0, report.misses


def _paraphrases(name: str) -> dict:
    from pathlib import Path

    return load_eval_file(Path(__file__).resolve().parent.parent / "eval" / name)


def test_paraphrase_sets_are_disjoint_and_not_taken_from_the_data():
    """The held-out questions are not in the tuning split, the glossary, the section evidence or the rules."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    data = "".join(p.read_text(encoding="utf-8") for p in [root / "knowledge" / "glossary.yaml", root / "knowledge" / "sections.yaml",
                                                           *sorted((root / "eligibility" / "rules").glob("*.yaml"))])
    tune = {c["q"] for c in _paraphrases("paraphrase_tune.json")["cases"]}
    held = _paraphrases("paraphrase_heldout.json")["cases"]
    assert len(held) >= 60 and not tune & {c["q"] for c in held}
    sections = {"preamble", "closing", *map(str, range(1, 11))}
    for case in held:
        assert case["q"] not in data and set(case["accept"]) <= sections


def test_held_out_paraphrase_recall(searcher):
    """Questions in enterprises' words that nothing was tuned on (eval/paraphrase_heldout.json): a guard against
    regressions just under the measured 0.917 / 0.976 (issue 14 aims at 0.92 / 0.98)."""
    report = evaluate_questions(lambda q: [h.article for h in searcher.search(q, 5)],
                                _paraphrases("paraphrase_heldout.json")["cases"], "ours")
    assert report.recall_at_1 >= 0.90, report.misses
    assert report.recall_at_3 >= 0.97, report.misses
