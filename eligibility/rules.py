"""The schema of the rules files, and their loading. A malformed file fails with file, entry and field named.

A policy file (`kind: policy`) declares programmes; an implementation-rule file (`kind: amendment`) adds
conditions to programmes or narrows their rate or cap from its own effective date, each with its reference.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from eligibility.facts import ApplicantKind, known_fact_names

RULES_DIR = Path(__file__).with_name("rules")


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, the entry and the field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(Strict):
    doc_id: str
    article: str
    quote: str


class Condition(Strict):
    """One requirement on one fact: `is` a boolean, `in` a list of values, or `at_least` a number."""

    fact: str
    says: str = Field(description="what the policy requires, in its words")
    is_: bool | None = Field(default=None, alias="is")
    in_: list[str] | None = Field(default=None, alias="in")
    at_least: int | None = None
    reference: Reference | None = None  # set for conditions added by a later document

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if self.fact not in known_fact_names():
            raise ValueError(f"unknown fact {self.fact!r}")
        if sum(x is not None for x in (self.is_, self.in_, self.at_least)) > 1:
            raise ValueError("give one of is / in / at_least")
        return self

    def test(self, value: Any) -> bool:
        if self.is_ is not None:
            return value is self.is_
        if self.in_ is not None:
            return value in self.in_
        if self.at_least is not None:
            return value >= self.at_least
        return True  # a trigger that only asks whether the fact is known


class Amount(Strict):
    kind: Literal["rate_of_base", "fixed_max", "none"]
    rate: float | None = Field(default=None, gt=0, le=1)
    base: str | None = None
    cap_yuan: int | None = Field(default=None, gt=0)
    support: str | None = Field(default=None, description="for kind none: the support that exists")

    @model_validator(mode="after")
    def _complete(self) -> Amount:
        if self.kind == "rate_of_base" and (self.rate is None or self.base is None):
            raise ValueError("rate_of_base needs rate and base")
        if self.kind == "fixed_max" and self.cap_yuan is None:
            raise ValueError("fixed_max needs cap_yuan")
        if self.kind == "none" and (self.cap_yuan or self.rate):
            raise ValueError("an amount of kind none states no figure")
        if self.base is not None and self.base not in known_fact_names():
            raise ValueError(f"unknown base fact {self.base!r}")
        return self


class Program(Strict):
    id: str
    article: str
    title: str
    responsible_unit: str
    quote: str = Field(description="the exact sentence of the policy this programme rests on")
    applicants: list[ApplicantKind]
    assume_applicant: ApplicantKind | None = Field(default=None, description="taken when the kind is not stated")
    triggers: list[Condition] = Field(description="facts that make this programme concern a conversation")
    conditions: list[Condition] = Field(default_factory=list)
    amount: Amount
    annual_cap_yuan: int | None = Field(default=None, gt=0)
    cumulative_cap_yuan: int | None = Field(default=None, gt=0)
    frequency: Literal["yearly", "one_off", "unspecified"] = "unspecified"
    exclusive_group: str | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


class Validity(Strict):
    starts: dt.date
    ends: dt.date
    basis: str = Field(description="why these dates")
    quote: str


class PolicyFile(Strict):
    kind: Literal["policy"]
    doc_id: str
    title: str
    doc_number: str
    validity: Validity
    no_stacking_quote: str
    programs: list[Program]


class Amendment(Strict):
    program: str
    reference: Reference
    add_conditions: list[Condition] = Field(default_factory=list)
    rate: float | None = Field(default=None, gt=0, le=1)
    cap_yuan: int | None = Field(default=None, gt=0)
    cap_by_fact: str | None = Field(default=None, description="the award may not exceed this fact's value")
    application_window: tuple[dt.date, dt.date] | None = None


class AmendmentFile(Strict):
    kind: Literal["amendment"]
    doc_id: str
    title: str
    effective_from: dt.date
    test_fixture: bool = False
    amendments: list[Amendment]


class RuleBook(BaseModel):
    model_config = ConfigDict(frozen=True)
    policy: PolicyFile
    amendments: list[AmendmentFile] = []

    def program(self, program_id: str) -> Program:
        return next(p for p in self.policy.programs if p.id == program_id)

    def amendments_for(self, program_id: str, on_date: dt.date) -> list[tuple[AmendmentFile, Amendment]]:
        return [(f, a) for f in self.amendments if f.effective_from <= on_date for a in f.amendments
                if a.program == program_id]


def _describe(error: ValidationError, data: Any) -> str:
    parts = []
    for item in error.errors():
        loc = list(item["loc"])
        where = ".".join(str(x) for x in loc)
        if len(loc) >= 2 and loc[0] in {"programs", "amendments"} and isinstance(loc[1], int):
            try:
                entry = data[loc[0]][loc[1]]
                name = entry.get("id") or entry.get("program") or f"#{loc[1]}"
            except (KeyError, IndexError, TypeError, AttributeError):
                name = f"#{loc[1]}"
            where = f"entry {name!r}, field {'.'.join(str(x) for x in loc[2:]) or '(entry)'}"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def load_file(path: Path) -> PolicyFile | AmendmentFile:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{path}: cannot read rules file: {exc}") from exc
    if not isinstance(data, dict) or data.get("kind") not in {"policy", "amendment"}:
        raise RulesError(f"{path}: a rules file is a mapping with kind: policy or kind: amendment")
    model = PolicyFile if data["kind"] == "policy" else AmendmentFile
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RulesError(f"{path}: {_describe(exc, data)}") from exc


def load_rules(paths: list[Path] | None = None) -> RuleBook:
    """The policy file and any amendment files; by default every file in `eligibility/rules/`."""
    files = [load_file(p) for p in (paths if paths is not None else sorted(RULES_DIR.glob("*.yaml")))]
    policies = [f for f in files if isinstance(f, PolicyFile)]
    if len(policies) != 1:
        raise RulesError(f"expected exactly one policy file, found {len(policies)}")
    policy = policies[0]
    ids = [p.id for p in policy.programs]
    if len(ids) != len(set(ids)):
        raise RulesError(f"duplicate programme ids in {policy.doc_id}")
    amendments = [f for f in files if isinstance(f, AmendmentFile)]
    for f in amendments:
        for a in f.amendments:
            if a.program not in ids:
                raise RulesError(f"{f.doc_id}: amendment for unknown programme {a.program!r}")
            original = policy.programs[ids.index(a.program)].amount
            if a.rate is not None and (original.rate is None or a.rate > original.rate):
                raise RulesError(f"{f.doc_id}: {a.program}: an amendment may only narrow the rate")
            if a.cap_yuan is not None and (original.cap_yuan is None or a.cap_yuan > original.cap_yuan):
                raise RulesError(f"{f.doc_id}: {a.program}: an amendment may only narrow the cap")
    return RuleBook(policy=policy, amendments=amendments)
