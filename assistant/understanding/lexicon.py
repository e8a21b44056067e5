"""The lexicon: how people name facts, programmes and a conversation's structure — data, validated on load.

The files live beside the rules (`eligibility/lexicon/*.yaml`). Loading checks every regular expression
compiles and every fact and programme id exists in the `Facts` schema and the rules in force, so a typo fails
loudly with the file and the entry, not silently at the first sentence that needed it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from eligibility.facts import known_fact_names
from eligibility.rules import RuleBook

LEXICON_DIR = Path(__file__).resolve().parents[2] / "eligibility" / "lexicon"


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and the entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression ({exc}): {value!r}") from exc
    return value


class ValueCue(_Strict):
    value: str
    pattern: str
    capture: str | None = Field(default=None, description="a descriptive fact that takes the matched words")
    _check = field_validator("pattern")(_regex)


class WordFact(_Strict):
    """A boolean fact (pattern) or a categorical one (values), found by its words in a clause."""

    fact: str
    pattern: str | None = None
    values: list[ValueCue] = Field(default_factory=list)
    capture_from: str | None = Field(default=None, description="the matched words become the value")
    requires: str | None = Field(default=None, description="only when this fact is known in the same message")
    requires_near: str | None = Field(default=None, description="only in a clause with these words")
    skip_when: str | None = Field(default=None, description="not in a clause with these words")
    not_when: str | None = Field(default=None, description="these words in the clause make it false")
    shared_as: str | None = Field(default=None, description="one phrase, several facts: decided by the project")
    near: str | None = Field(default=None, description="for a shared phrase: words that say it is this fact")
    in_questions: bool = Field(default=False, description="a question still says what the talk is about")
    clause: bool = Field(default=False, description="read clause by clause rather than the whole segment")
    _check = field_validator("pattern", "capture_from", "requires_near", "skip_when", "not_when", "near")(_regex)


class AmountFact(_Strict):
    fact: str
    cues: str
    quantity: str | None = None
    not_this: str | None = None
    _check = field_validator("cues", "quantity", "not_this")(_regex)


class ReceivedProgram(_Strict):
    program: str
    pattern: str
    _check = field_validator("pattern")(_regex)


class Received(_Strict):
    cues: str
    this_year: str
    total: str
    each_year: str
    first_time: str
    none: str
    programs: list[ReceivedProgram] = Field(default_factory=list)
    _check = field_validator("cues", "this_year", "total", "each_year", "first_time", "none")(_regex)


class Projects(_Strict):
    marker: str
    same: str
    several: str
    _check = field_validator("marker", "same", "several")(_regex)


class Applicant(_Strict):
    value: str
    pattern: str
    _check = field_validator("pattern")(_regex)


class Registered(_Strict):
    fact: str
    pattern: str


class LexiconFile(_Strict):
    kind: Literal["lexicon"]
    doc_id: str
    test_fixture: bool = False
    negation: str | None = None
    affirm_after_negation: str | None = None
    not_negation: str | None = None
    question: str | None = None
    correction: str | None = None
    injection: str | None = None
    procedural: str | None = None
    apply_words: str | None = None
    decrease: str | None = None
    hypothetical: str | None = None
    zero: str | None = None
    applicant: list[Applicant] = Field(default_factory=list)
    registered: Registered | None = None
    facts: list[WordFact] = Field(default_factory=list)
    amounts: list[AmountFact] = Field(default_factory=list)
    received: Received | None = None
    projects: Projects | None = None
    _check = field_validator("negation", "affirm_after_negation", "not_negation", "question", "correction", "injection", "procedural",
                             "apply_words", "decrease", "hypothetical", "zero")(_regex)


class Lexicon:
    """All lexicon files merged: the policy's first, each later file adding facts and phrasings."""

    def __init__(self, files: list[LexiconFile]) -> None:
        if not files:
            raise LexiconError("no lexicon file found")
        base = files[0]
        for name in ("negation", "question", "correction", "injection", "apply_words", "decrease"):
            if getattr(base, name) is None:
                raise LexiconError(f"{base.doc_id}: the first lexicon file must define {name!r}")
        if base.received is None or base.projects is None:
            raise LexiconError(f"{base.doc_id}: the first lexicon file must define received and projects")
        self.files = files
        flag = re.I
        self.negation = re.compile(base.negation, flag)
        self.affirm_after_negation = re.compile(base.affirm_after_negation or r"(?!x)x", flag)
        self.not_negation = re.compile(base.not_negation or r"(?!x)x", flag)
        self.question = re.compile(base.question, flag)
        self.correction = re.compile(base.correction, flag)
        self.injection = re.compile(base.injection, flag)
        self.procedural = re.compile(base.procedural or r"(?!x)x", flag)
        self.apply_words = re.compile(base.apply_words, flag)
        self.decrease = re.compile(base.decrease, flag)
        self.hypothetical = re.compile(base.hypothetical or r"(?!x)x", flag)
        self.zero = re.compile(base.zero or r"(?!x)x", flag)
        self.received, self.projects = base.received, base.projects
        self.applicant = [a for f in files for a in f.applicant]
        self.registered = base.registered
        self.word_facts = [w for f in files for w in f.facts]
        self.amount_facts = [a for f in files for a in f.amounts]
        self.amount_fact_names = [a.fact for a in self.amount_facts]
        self.cue_any = re.compile("|".join(f"(?:{a.cues})" for a in self.amount_facts), flag)
        self.quantity_any = re.compile("|".join(f"(?:{a.quantity})" for a in self.amount_facts if a.quantity), flag)
        self.not_this_any = re.compile("|".join(f"(?:{a.not_this})" for a in self.amount_facts if a.not_this), flag)

    def amount(self, fact: str) -> AmountFact:
        return next(a for a in self.amount_facts if a.fact == fact)


def _describe(error: ValidationError, data) -> str:
    parts = []
    for item in error.errors():
        loc = list(item["loc"])
        where = ".".join(str(x) for x in loc)
        if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data, dict):
            try:
                entry = data[loc[0]][loc[1]]
                where = f"entry {entry.get('fact') or entry.get('value') or entry.get('program') or loc[1]!r} of {loc[0]}"
            except (KeyError, IndexError, TypeError, AttributeError):
                pass
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def load_file(path: Path, book: RuleBook, facts: set[str]) -> LexiconFile:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        parsed = LexiconFile.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconError(f"{path}: cannot read lexicon file: {exc}") from exc
    except ValidationError as exc:
        raise LexiconError(f"{path}: {_describe(exc, data)}") from exc
    programs = {p.id for p in book.programs}
    named = [(w.fact, "facts") for w in parsed.facts] + [(v.capture, "facts") for w in parsed.facts for v in w.values if v.capture]
    named += [(a.fact, "amounts") for a in parsed.amounts] + [(w.requires, "facts") for w in parsed.facts if w.requires]
    if parsed.registered:
        named.append((parsed.registered.fact, "registered"))
    for fact, section in named:
        if fact not in facts:
            raise LexiconError(f"{path}: entry {fact!r} of {section}: unknown fact (not in the Facts schema or the rules)")
    for program in (parsed.received.programs if parsed.received else []):
        if program.program not in programs:
            raise LexiconError(f"{path}: entry {program.program!r} of received.programs: unknown programme id")
    return parsed


def load_lexicon(book: RuleBook, paths: list[Path] | None = None, extra: list[Path] | None = None) -> Lexicon:
    """The bundled lexicon files (or `paths`), plus `extra` files (a later rule's, a test fixture's)."""
    facts = known_fact_names()  # the Facts schema and every fact the loaded rules declared
    chosen = paths if paths is not None else sorted(LEXICON_DIR.glob("*.yaml"))
    return Lexicon([load_file(p, book, facts) for p in [*chosen, *(extra or [])]])


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    from eligibility.rules import default_rules

    return load_lexicon(default_rules())
