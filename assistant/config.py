"""Every setting is an environment variable; this is the one place that reads them (table in README)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path = PROJECT_ROOT / "data"
    embeddings: str = "e5"  # the engine the fusion weights use (knowledge/fusion.yaml); "e5,use" indexes both
    chroma_url: str | None = None
    chroma_collection: str = "policy"
    session_url: str | None = None  # redis://… ; unset: SQLite in data_dir
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: int = 30
    api_keys: tuple[str, ...] = field(default_factory=tuple)
    rate_limit: str | None = None  # "30/minute"
    max_body_bytes: int = 64 * 1024
    log_bodies: bool = False
    wechat_answer_chars: int = 300
    request_threads: int = 8  # request handlers running at once in one worker

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            data_dir=Path(env.get("POLICY_DATA_DIR") or PROJECT_ROOT / "data"),
            embeddings=env.get("POLICY_EMBEDDINGS") or "e5",
            chroma_url=env.get("POLICY_CHROMA_URL") or None,
            chroma_collection=env.get("POLICY_CHROMA_COLLECTION") or "policy",
            session_url=env.get("POLICY_SESSION_URL") or None,
            llm_base_url=env.get("POLICY_LLM_BASE_URL") or None,
            llm_model=env.get("POLICY_LLM_MODEL") or None,
            llm_api_key=env.get("POLICY_LLM_API_KEY") or None,
            llm_timeout_s=_int("POLICY_LLM_TIMEOUT", 30),
            api_keys=tuple(k.strip() for k in env.get("POLICY_API_KEYS", "").split(",") if k.strip()),
            rate_limit=env.get("POLICY_RATE_LIMIT") or None,
            max_body_bytes=_int("POLICY_MAX_BODY_BYTES", 64 * 1024),
            log_bodies=env.get("POLICY_LOG_BODIES", "").lower() in {"1", "true", "yes"},
            request_threads=max(1, _int("POLICY_REQUEST_THREADS", 8)),
        )
