"""The domain glossary (`glossary.yaml`): how enterprises say it → how the policy says it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

GLOSSARY_PATH = Path(__file__).with_name("glossary.yaml")


@dataclass(frozen=True)
class Glossary:
    synonyms: dict[str, tuple[str, ...]]  # policy word → user words
    domain_terms: tuple[str, ...]

    def expand(self, query: str) -> str:
        """The query with the policy's own word appended for every user word it contains."""
        lowered = query.lower()
        added = [canonical for canonical, variants in self.synonyms.items()
                 if canonical.lower() not in lowered and any(_contains(lowered, v.lower()) for v in variants)]
        return f"{query} {' '.join(added)}" if added else query

    def terms(self) -> list[str]:
        found = set(self.domain_terms) | set(self.synonyms)
        for variants in self.synonyms.values():
            found.update(v for v in variants if len(v) >= 2 and not v.isascii())
        return sorted(found)


@lru_cache(maxsize=4)
def load_glossary(path: Path = GLOSSARY_PATH) -> Glossary:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    synonyms = {str(k): tuple(str(v) for v in vs or ()) for k, vs in (data.get("synonyms") or {}).items()}
    return Glossary(synonyms=synonyms, domain_terms=tuple(str(t) for t in data.get("terms") or ()))


def _contains(text: str, word: str) -> bool:
    """Chinese words match anywhere; Latin ones only as whole words (`ip` is not in `ship`)."""
    if word.isascii():
        return re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text) is not None
    return word in text
