"""The catalogue of facts: name, type, scope, labels and questions in Chinese and English, as data.

The policy's own facts live in `rules/facts.yaml`; a later implementation rule may declare more in its
own file (`facts:`), and once its rules are loaded those facts are accepted like the policy's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

Lang = Literal["zh", "en"]
FactType = Literal["int_yuan", "bool", "enum", "date", "text"]
Scope = Literal["applicant", "project", "award"]
FACTS_FILE = Path(__file__).with_name("rules") / "facts.yaml"


class Text(BaseModel):
    """One phrase in both languages; neither may be empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


_ADAPTERS: dict[str, TypeAdapter] = {"int_yuan": TypeAdapter(int), "bool": TypeAdapter(bool),
                                     "date": TypeAdapter(dt.date), "text": TypeAdapter(str)}


class FactSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: FactType
    scope: Scope
    label: Text
    question: Text
    values: dict[str, Text] = Field(default_factory=dict, description="for enum facts: each value's label")

    @model_validator(mode="after")
    def _values_for_enums(self) -> FactSpec:
        if (self.type == "enum") != bool(self.values):
            raise ValueError("an enum fact lists its values; other facts list none")
        return self

    def coerce(self, value: Any) -> Any:
        """The value in this fact's type, or a ValueError a person can read."""
        if value is None:
            return None
        if self.type == "enum":
            if value not in self.values:
                raise ValueError(f"{self.name}: {value!r} is not one of {', '.join(self.values)}")
            return value
        try:
            return _ADAPTERS[self.type].validate_python(value)
        except ValidationError as exc:
            raise ValueError(f"{self.name}: {value!r} is not a valid {self.type}") from exc


class FactsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["facts"]
    facts: list[FactSpec]


def read_specs(path: Path) -> list[FactSpec]:
    """The fact specs of a facts file; a mistake names the file and the entry."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    try:
        specs = FactsFile.model_validate(data).facts
    except ValidationError as exc:
        raise ValueError(f"{path}: {describe(exc, data, {'facts': 'name'})}") from exc
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{path}: facts declared twice: {', '.join(duplicates)}")
    return specs


def describe(error: ValidationError, data: Any, sections: dict[str, str]) -> str:
    """`entry 'name', field x: message` for each error; `sections` maps a list's key to its entries' name key."""
    parts = []
    for item in error.errors():
        loc = list(item["loc"])
        where = ".".join(str(x) for x in loc)
        if len(loc) >= 2 and loc[0] in sections and isinstance(loc[1], int):
            try:
                entry = data[loc[0]][loc[1]]
                name = entry.get(sections[loc[0]]) or f"#{loc[1]}"
            except (KeyError, IndexError, TypeError, AttributeError):
                name = f"#{loc[1]}"
            where = f"{loc[0]} entry {name!r}, field {'.'.join(str(x) for x in loc[2:]) or '(entry)'}"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


CORE: dict[str, FactSpec] = {s.name: s for s in read_specs(FACTS_FILE)}
_DECLARED: dict[str, FactSpec] = {}  # facts declared by loaded implementation rules


def declare(specs: Iterable[FactSpec], source: str) -> None:
    """Accept the facts a loaded rules file declares; a clash with another definition is an error."""
    for spec in specs:
        known = CORE.get(spec.name) or _DECLARED.get(spec.name)
        if known is not None and known != spec:
            raise ValueError(f"{source}: fact {spec.name!r} is already defined differently")
        _DECLARED[spec.name] = spec


def known_now() -> dict[str, FactSpec]:
    """Core and already declared facts, without loading anything."""
    return {**CORE, **_DECLARED}


def find(name: str) -> FactSpec | None:
    """The spec of a core or declared fact, loading the default rules' declarations once if needed."""
    spec = CORE.get(name) or _DECLARED.get(name)
    if spec is None and not _defaults_loaded:
        _load_default_declarations()
        spec = _DECLARED.get(name)
    return spec


_defaults_loaded = False


def _load_default_declarations() -> None:
    global _defaults_loaded
    _defaults_loaded = True
    from eligibility.rules import default_rules  # the rules import this module: a late import

    default_rules()


def fact_spec(name: str) -> FactSpec:
    spec = find(name)
    if spec is None:
        raise KeyError(name)
    return spec


def all_specs() -> dict[str, FactSpec]:
    find("")  # make sure the default rules' declarations are in
    return {**CORE, **_DECLARED}


def short_label(name: str, lang: str = "zh") -> str:
    """A fact's label without its unit suffix, e.g. 新产品销售增量 / new product sales increment."""
    text = fact_spec(name).label.get(lang)
    return text.removesuffix("（元）").removesuffix(" (yuan)")


def question(name: str, lang: str = "zh") -> str:
    return fact_spec(name).question.get(lang)


def value_label(name: str, value: Any, lang: str = "zh") -> str:
    """How a known value reads: 是/否, yes/no, an enum's label, a date, an amount."""
    if value is True or value is False:
        return {("zh", True): "是", ("zh", False): "否", ("en", True): "yes", ("en", False): "no"}[(lang, value)]
    spec = find(name)
    if spec is not None and spec.type == "enum" and value in spec.values:
        return spec.values[value].get(lang)
    if isinstance(value, int):
        return f"{value:,} 元" if lang == "zh" else f"{value:,} yuan"
    return str(value)
