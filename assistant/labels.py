"""English names for what the answers mention. Programmes and facts: the rules data (`title_en`,
`eligibility/rules/facts.yaml`); the units and sections the policy text names, and the policy's title:
`assistant/data/labels_en.yaml`. Nothing else in `assistant/` translates a label.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

LABELS_FILE = Path(__file__).with_name("data") / "labels_en.yaml"


@lru_cache(maxsize=1)
def _labels() -> dict:
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))


def program_title(program_id: str, zh_title: str, language: str) -> str:
    if language == "zh":
        return zh_title
    from eligibility.rules import default_rules

    program = next((p for p in default_rules().programs if p.id == program_id), None)
    return program.title_en if program is not None else f"the programme {zh_title}"


def unit_name(unit: str, language: str) -> str:
    return unit if language == "zh" else _labels()["units"].get(unit, unit)


def fact_label(name: str, zh_label: str, language: str) -> str:
    if language == "zh":
        return zh_label
    from eligibility.catalogue import find, short_label

    fact = name.rsplit(".", 1)[-1]
    return short_label(fact, "en") if find(fact) is not None else fact.replace("_", " ")


def fact_question(name: str, zh_question: str, language: str) -> str:
    if language == "zh":
        return zh_question
    from eligibility.catalogue import find, question

    fact = name.rsplit(".", 1)[-1]
    return question(fact, "en") if find(fact) is not None else f"Please tell us: {fact_label(name, '', 'en')}?"


def section_name(section_id: str, zh_name: str, language: str) -> str:
    if language == "zh":
        return zh_name
    return _labels()["sections"].get(section_id) or f"Article {section_id}"


def policy_title_en() -> str:
    return _labels()["policy_title"]
