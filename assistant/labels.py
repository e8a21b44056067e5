"""English names of the rules' Chinese labels (programmes, units, facts), read from data in one place.

The engine developer is moving these into the rules data (`title_en`, fact specs in zh/en); until that is
merged, `assistant/data/labels_en.yaml` holds them and nothing else in `assistant/` translates a label.
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
    return _labels()["programs"].get(program_id) or f"the programme {zh_title}"


def unit_name(unit: str, language: str) -> str:
    return unit if language == "zh" else _labels()["units"].get(unit, unit)


def fact_label(name: str, zh_label: str, language: str) -> str:
    if language == "zh":
        return zh_label
    entry = _labels()["facts"].get(name.rsplit(".", 1)[-1])
    return entry["label"] if entry else name.rsplit(".", 1)[-1].replace("_", " ")


def fact_question(name: str, zh_question: str, language: str) -> str:
    if language == "zh":
        return zh_question
    entry = _labels()["facts"].get(name.rsplit(".", 1)[-1])
    return entry["question"] if entry else f"Please tell us: {fact_label(name, '', 'en')}?"


def section_name(section_id: str, zh_name: str, language: str) -> str:
    if language == "zh":
        return zh_name
    return _labels()["sections"].get(section_id) or f"Article {section_id}"


def policy_title_en() -> str:
    return _labels()["policy_title"]
