"""Check an answer someone else phrased: every figure must be the engine's or a quote's, every article one we have.

This is what makes an LLM safe to use here: a reply stating 5000万 when the engine said 50万, or citing
an article that was never retrieved, is refused and the deterministic answer is shown instead.
"""

from __future__ import annotations

import re
from decimal import Decimal

from assistant.amounts import find_amounts, find_percentages
from assistant.composer import TurnContext
from assistant.reply import Citation
from knowledge.parser import cn_to_int

ARTICLE_REF = re.compile(r"第\s*([一二三四五六七八九十百\d]+)\s*条|article\s+(\d+)", re.I)
BARE_NUMBER = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d])|(?<![\d.])\d{5,}(?![\d])")


def allowed_figures(ctx: TurnContext, citations: list[Citation], grounded: list[str] = ()) -> tuple[set[int], set[Decimal]]:
    """`grounded`: texts built only from the engine, the rules and the documents (the deterministic draft)."""
    texts = [c.quote for c in citations] + [h.passage for h in ctx.hits] + [ctx.validity] + list(grounded)
    amounts: set[int] = set()
    rates: set[Decimal] = set()
    steps = [s for e in ctx.assessment.estimates for s in e.steps] + ctx.assessment.total_steps
    for e in ctx.assessment.estimates:
        amounts.update(x for x in (e.ceiling_yuan, e.cap_yuan) if x is not None)
    for step in steps:  # the engine's figures, typed: no trace text is read back
        amounts.update(step.figures())
        rates.update({Decimal(str(step.rate))} if step.rate is not None else set())
        texts.extend(q for q in (step.quote,) if q)
    if ctx.assessment.total_ceiling_yuan is not None:
        amounts.add(ctx.assessment.total_ceiling_yuan)
    for text in texts:
        amounts.update(a.yuan for a in find_amounts(text))
        amounts.update(int(n.replace(",", "")) for n in BARE_NUMBER.findall(text))
        rates.update(f for f, _, _ in find_percentages(text))
    return amounts, rates


def allowed_articles(ctx: TurnContext, citations: list[Citation]) -> set[str]:
    return {c.article for c in citations} | {h.article for h in ctx.hits} | {e.article for e in ctx.assessment.estimates}


def check(answer: str, ctx: TurnContext, citations: list[Citation], grounded: list[str] = ()) -> list[str]:
    """What is wrong with `answer`; empty when every figure and article is grounded."""
    amounts, rates = allowed_figures(ctx, citations, grounded)
    problems = [f"amount {a.text} ({a.yuan} 元) is not a figure of the engine or the quotes"
                for a in find_amounts(answer) if a.yuan not in amounts]
    problems += [f"number {n} is not a figure of the engine or the quotes"
                 for n in BARE_NUMBER.findall(answer) if int(n.replace(",", "")) not in amounts]
    problems += [f"percentage {f * 100}% is not in the policy or the calculation"
                 for f, _, _ in find_percentages(answer) if f not in rates]
    articles = allowed_articles(ctx, citations) | {str(cn_to_int(m.group(1) or m.group(2)))
                                                   for text in grounded for m in ARTICLE_REF.finditer(text)}
    for m in ARTICLE_REF.finditer(answer):
        number = str(cn_to_int(m.group(1) or m.group(2)))
        if number not in articles:
            problems.append(f"article {m.group(0)} was not retrieved")
    return problems


# The tail of a stream that may still grow into (or out of) a figure or an article reference: digits and
# Chinese numerals with their units, 第… before its 条, and a Latin word still being written (milli…, artic…).
OPEN_TAIL = re.compile(
    r"(?:(?:第|article\s*|[A-Za-z]+\s*)?[\d零〇一二两三四五六七八九十百千万亿萬億][\d,.\s零〇一二两三四五六七八九十百千万亿萬億元块%％]*"
    r"(?:\s*[A-Za-z]*)?|第\s*|[A-Za-z]+)$", re.I)


class StreamGuard:
    """Checks a streamed answer as it grows: text is released only once every figure in it is complete.

    `feed(piece)` returns the text that may be shown now and the problems found; at the first problem the
    caller stops the stream and shows the deterministic answer instead (nothing after it is released).
    """

    def __init__(self, ctx: TurnContext, citations: list[Citation], draft: str = "") -> None:
        self.ctx, self.citations, self.grounded = ctx, citations, [draft] if draft else []
        self.text = ""  # everything received
        self.released = 0  # how much of it has been let through

    def feed(self, piece: str) -> tuple[str, list[str]]:
        self.text += piece
        tail = OPEN_TAIL.search(self.text)
        return self._release(tail.start() if tail else len(self.text))

    def finish(self) -> tuple[str, list[str]]:
        return self._release(len(self.text))

    def _release(self, upto: int) -> tuple[str, list[str]]:
        if upto <= self.released:
            return "", []
        problems = check(self.text[:upto], self.ctx, self.citations, self.grounded)
        if problems:
            return "", problems
        new, self.released = self.text[self.released:upto], upto
        return new, []
