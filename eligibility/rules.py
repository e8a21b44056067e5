"""The schema of the rules files, and their loading. A malformed file fails with file, entry and field named.

A policy file (`kind: policy`) declares programmes; an implementation-rule file (`kind: amendment`) adds
conditions to programmes or narrows their rate or cap from its own effective date, each with its reference,
and may declare new facts (`facts:`, shaped like rules/facts.yaml) and new programmes (`programs:`).
Every programme has its title, responsible unit and support in Chinese and English.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, ValidationInfo, model_validator

from eligibility import catalogue
from eligibility.catalogue import FactSpec
from eligibility.facts import ApplicantKind

RULES_DIR = Path(__file__).with_name("rules")
DATA_FILES = {"facts.yaml", "steps.yaml"}  # beside the rules, but not rules files
SECTIONS = {"programs": "id", "amendments": "program", "facts": "name"}


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, the entry and the field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _facts_in(info: ValidationInfo) -> dict[str, FactSpec]:
    """The facts a rule may name while its file is read: the core ones and those declared with it."""
    return (info.context or {}).get("facts") or catalogue.known_now()


def _fact_of_type(name: str, info: ValidationInfo, *types: str) -> FactSpec:
    spec = _facts_in(info).get(name)
    if spec is None or spec.scope == "award":
        raise ValueError(f"unknown fact {name!r} (not in facts.yaml nor declared by a loaded rules file)")
    if types and spec.type not in types:
        raise ValueError(f"fact {name!r} is {spec.type}, expected {' or '.join(types)}")
    return spec


class Reference(Strict):
    doc_id: str
    article: str
    quote: str


class Condition(Strict):
    """One requirement on one fact: `is` a boolean, `in` a list of values, or `at_least` a number."""

    fact: str
    says: str = Field(description="what the policy requires, in its words")
    says_en: str | None = Field(default=None, description="the same in English (required for conditions)")
    is_: bool | None = Field(default=None, alias="is")
    in_: list[str] | None = Field(default=None, alias="in")
    at_least: int | None = None
    reference: Reference | None = None  # set for conditions added by a later document

    @model_validator(mode="after")
    def _one_test(self, info: ValidationInfo) -> Condition:
        spec = _fact_of_type(self.fact, info)
        if sum(x is not None for x in (self.is_, self.in_, self.at_least)) > 1:
            raise ValueError("give one of is / in / at_least")
        if self.is_ is not None and spec.type != "bool":
            raise ValueError(f"`is` needs a yes/no fact; {self.fact!r} is {spec.type}")
        if self.in_ is not None and (spec.type != "enum" or not set(self.in_) <= set(spec.values)):
            raise ValueError(f"`in` needs values of the enum fact {self.fact!r}: {', '.join(spec.values)}")
        if self.at_least is not None and spec.type != "int_yuan":
            raise ValueError(f"`at_least` needs an amount fact; {self.fact!r} is {spec.type}")
        return self

    def test(self, value: Any) -> bool:
        if self.is_ is not None:
            return value is self.is_
        if self.in_ is not None:
            return value in self.in_
        if self.at_least is not None:
            return value >= self.at_least
        return True  # a trigger that only asks whether the fact is known

    def text(self) -> catalogue.Text:
        return catalogue.Text(zh=self.says, en=self.says_en or self.says)


class Tier(Strict):
    at_least_yuan: int = Field(gt=0, description="the base from which this award applies")
    yuan: int = Field(gt=0)


class Amount(Strict):
    kind: Literal["rate_of_base", "fixed_max", "tiered", "none"]
    rate: float | None = Field(default=None, gt=0, le=1)
    base: str | None = None
    cap_yuan: int | None = Field(default=None, gt=0)
    tiers: list[Tier] = Field(default_factory=list, description="for kind tiered: brackets on the base, ascending")
    support: str | None = Field(default=None, description="for kind none: the support that exists")
    support_en: str | None = None

    @model_validator(mode="after")
    def _complete(self, info: ValidationInfo) -> Amount:
        if self.kind == "rate_of_base" and (self.rate is None or self.base is None):
            raise ValueError("rate_of_base needs rate and base")
        if self.kind in {"fixed_max", "rate_of_base", "tiered"} and self.cap_yuan is None:
            raise ValueError(f"{self.kind} needs cap_yuan")
        if self.kind == "tiered":
            bounds = [t.at_least_yuan for t in self.tiers]
            if not self.tiers or self.base is None or bounds != sorted(set(bounds)):
                raise ValueError("tiered needs a base and tiers in ascending order of at_least_yuan")
            if any(t.yuan > self.cap_yuan for t in self.tiers):
                raise ValueError("a tier's award may not exceed cap_yuan")
        elif self.tiers:
            raise ValueError("only a tiered amount has tiers")
        if self.kind == "none" and (self.cap_yuan or self.rate or not self.support or not self.support_en):
            raise ValueError("an amount of kind none states no figure, and its support in zh and en")
        if self.base is not None:
            _fact_of_type(self.base, info, "int_yuan")
        return self


class Program(Strict):
    id: str
    article: str
    title: str
    title_en: str = Field(min_length=1)
    responsible_unit: str
    responsible_unit_en: str = Field(min_length=1)
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
    doc_id: str | None = Field(default=None, description="set for a programme added by a later document")

    @model_validator(mode="after")
    def _english(self) -> Program:
        untranslated = [c.says for c in self.conditions if not c.says_en]
        if untranslated:
            raise ValueError(f"conditions need says_en: {', '.join(untranslated)}")
        return self


class Validity(Strict):
    starts: dt.date
    ends: dt.date
    basis: str = Field(description="why these dates")
    quote: str


class PolicyFile(Strict):
    kind: Literal["policy"]
    doc_id: str
    title: str
    title_en: str = Field(min_length=1)
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

    @model_validator(mode="after")
    def _checked(self, info: ValidationInfo) -> Amendment:
        if self.cap_by_fact is not None:
            _fact_of_type(self.cap_by_fact, info, "int_yuan")
        untranslated = [c.says for c in self.add_conditions if not c.says_en]
        if untranslated:
            raise ValueError(f"conditions need says_en: {', '.join(untranslated)}")
        return self


class AmendmentFile(Strict):
    kind: Literal["amendment"]
    doc_id: str
    title: str
    title_en: str = Field(min_length=1)
    effective_from: dt.date
    test_fixture: bool = False
    facts: list[FactSpec] = Field(default_factory=list, description="new facts this document introduces")
    programs: list[Program] = Field(default_factory=list, description="new programmes this document introduces")
    amendments: list[Amendment] = Field(default_factory=list)


class RuleBook(BaseModel):
    model_config = ConfigDict(frozen=True)
    policy: PolicyFile
    amendments: list[AmendmentFile] = []
    _programs: list[Program] = PrivateAttr(default_factory=list)
    _by_id: dict[str, Program] = PrivateAttr(default_factory=dict)
    _source: dict[str, AmendmentFile] = PrivateAttr(default_factory=dict)

    def model_post_init(self, __context: Any) -> None:
        for program in self.policy.programs:
            self._programs.append(program)
        for f in self.amendments:
            for program in f.programs:
                self._programs.append(program.model_copy(update={
                    "doc_id": f.doc_id, "valid_from": program.valid_from or f.effective_from}))
                self._source[program.id] = f
        self._by_id.update((p.id, p) for p in self._programs)

    @property
    def programs(self) -> list[Program]:
        """The policy's programmes, then those added by later documents."""
        return self._programs

    def program(self, program_id: str) -> Program:
        return self._by_id[program_id]

    def source(self, program_id: str) -> AmendmentFile | None:
        """The later document a programme comes from; None for the policy's own."""
        return self._source.get(program_id)

    def amendments_for(self, program_id: str, on_date: dt.date) -> list[tuple[AmendmentFile, Amendment]]:
        return [(f, a) for f in self.amendments if f.effective_from <= on_date for a in f.amendments
                if a.program == program_id]


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{path}: cannot read rules file: {exc}") from exc
    if not isinstance(data, dict) or data.get("kind") not in {"policy", "amendment"}:
        raise RulesError(f"{path}: a rules file is a mapping with kind: policy or kind: amendment")
    return data


def _declared(path: Path, data: dict) -> list[FactSpec]:
    """The facts a file declares, checked before its rules (which may name them)."""
    if data.get("kind") != "amendment" or not data.get("facts"):
        return []
    try:
        specs = [FactSpec.model_validate(item) for item in data["facts"]]
    except ValidationError:
        try:
            AmendmentFile.model_validate(data, context={"facts": catalogue.CORE})
        except ValidationError as exc:
            raise RulesError(f"{path}: {catalogue.describe(exc, data, SECTIONS)}") from exc
        raise
    clash = [s.name for s in specs if s.name in catalogue.CORE]
    if clash:
        raise RulesError(f"{path}: facts entry {clash[0]!r}: already a fact of the policy (facts.yaml)")
    return specs


def load_file(path: Path, facts: dict[str, FactSpec] | None = None) -> PolicyFile | AmendmentFile:
    data = _read(path)
    facts = facts or {**catalogue.CORE, **{s.name: s for s in _declared(path, data)}}
    model = PolicyFile if data["kind"] == "policy" else AmendmentFile
    try:
        return model.model_validate(data, context={"facts": facts})
    except ValidationError as exc:
        raise RulesError(f"{path}: {catalogue.describe(exc, data, SECTIONS)}") from exc


def load_rules(paths: list[Path] | None = None) -> RuleBook:
    """The policy file and any amendment files; by default every rules file in `eligibility/rules/`."""
    paths = [Path(p) for p in paths] if paths is not None else \
        [p for p in sorted(RULES_DIR.glob("*.yaml")) if p.name not in DATA_FILES]
    raw = [(p, _read(p)) for p in paths]
    facts: dict[str, FactSpec] = dict(catalogue.CORE)
    for path, data in raw:
        for spec in _declared(path, data):
            if spec.name in facts and facts[spec.name] != spec:
                raise RulesError(f"{path}: facts entry {spec.name!r}: declared differently by another file")
            facts[spec.name] = spec
    files = [(p, load_file(p, facts)) for p, _ in raw]
    policies = [f for _, f in files if isinstance(f, PolicyFile)]
    if len(policies) != 1:
        raise RulesError(f"expected exactly one policy file, found {len(policies)}")
    policy = policies[0]
    book = RuleBook(policy=policy, amendments=[f for _, f in files if isinstance(f, AmendmentFile)])
    ids = [p.id for p in book.programs]
    if len(ids) != len(set(ids)):
        raise RulesError(f"duplicate programme ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    for path, f in files:
        if isinstance(f, AmendmentFile):
            _check_amendments(path, f, book)
    catalogue.declare([s for n, s in facts.items() if n not in catalogue.CORE], "rules")
    return book


def _check_amendments(path: Path, f: AmendmentFile, book: RuleBook) -> None:
    for a in f.amendments:
        if a.program not in {p.id for p in book.programs}:
            raise RulesError(f"{path}: amendments entry {a.program!r}: unknown programme id {a.program!r}")
        original = book.program(a.program).amount
        if a.rate is not None and (original.rate is None or a.rate > original.rate):
            raise RulesError(f"{path}: {a.program}: an amendment may only narrow the rate")
        if a.cap_yuan is not None and (original.cap_yuan is None or a.cap_yuan > original.cap_yuan):
            raise RulesError(f"{path}: {a.program}: an amendment may only narrow the cap")


_DEFAULT: RuleBook | None = None


def default_rules() -> RuleBook:
    """The rules files in `eligibility/rules/`, loaded once."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_rules()
    return _DEFAULT
