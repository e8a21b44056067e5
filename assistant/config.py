"""Every setting is an environment variable; this is the one place that reads them (table in README).

Typed and validated by pydantic-settings: a value that does not parse stops the start with a message naming the
variable (`SettingsError`), instead of falling back to a default without a word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RATE = r"^\s*\d+\s*(/|per)\s*\d*\s*(second|sec|s|minute|min|m|hour|h|day|d)s?\s*$"


class SettingsError(ValueError):
    """A setting that does not parse; the message names the environment variable."""


CommaList = Annotated[tuple[str, ...], NoDecode]


class Settings(BaseSettings):
    """Built by hand (`Settings(data_dir=...)`), only the values given and the defaults count; `from_env()` reads
    the environment."""

    model_config = SettingsConfigDict(frozen=True, populate_by_name=True, extra="ignore", env_ignore_empty=True)

    data_dir: Path = Field(PROJECT_ROOT / "data", validation_alias="POLICY_DATA_DIR")
    # the engine the fusion weights use (knowledge/fusion.yaml); "e5,use" indexes both
    embeddings: str = Field("e5", validation_alias="POLICY_EMBEDDINGS")
    # the query-embedding cache shared by workers: a Redis URL; unset: the Redis of POLICY_SESSION_URL if any
    cache_url: str | None = Field(None, pattern=r"^(rediss?|unix)://", validation_alias="POLICY_CACHE_URL")
    chroma_url: str | None = Field(None, validation_alias="POLICY_CHROMA_URL")
    chroma_collection: str = Field("policy", validation_alias="POLICY_CHROMA_COLLECTION")
    # redis://… ; unset: SQLite in data_dir
    session_url: str | None = Field(None, pattern=r"^(rediss?|unix)://", validation_alias="POLICY_SESSION_URL")
    session_retention_days: int | None = Field(None, ge=1, validation_alias="POLICY_SESSION_RETENTION_DAYS")
    # how long a turn waits for another turn of the same session (another worker's too) before a 409
    session_lock_timeout_s: float = Field(30.0, gt=0, le=600, validation_alias="POLICY_SESSION_LOCK_TIMEOUT")
    llm_base_url: str | None = Field(None, validation_alias="POLICY_LLM_BASE_URL")
    llm_model: str | None = Field(None, validation_alias="POLICY_LLM_MODEL")
    llm_api_key: str | None = Field(None, repr=False, validation_alias="POLICY_LLM_API_KEY")
    llm_timeout_s: int = Field(30, ge=1, le=600, validation_alias="POLICY_LLM_TIMEOUT")
    api_keys: CommaList = Field((), repr=False, validation_alias="POLICY_API_KEYS")
    admin_keys: CommaList = Field((), repr=False, validation_alias="POLICY_ADMIN_KEYS")
    keys_file: Path | None = Field(None, validation_alias="POLICY_KEYS_FILE")
    # a CJK font for the PDFs (case packets, summaries)
    pdf_font: Path = Field(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), validation_alias="POLICY_PDF_FONT")
    rate_limit: str | None = Field(None, pattern=RATE, validation_alias="POLICY_RATE_LIMIT")  # "30/minute"
    # where the limiter counts: memory:// (one process) or redis://… ; unset: the Redis of POLICY_SESSION_URL if any
    rate_limit_storage: str | None = Field(None, pattern=r"^(memory|rediss?|redis\+unix)://",
                                           validation_alias="POLICY_RATE_LIMIT_STORAGE")
    max_body_bytes: int = Field(64 * 1024, ge=1024, validation_alias="POLICY_MAX_BODY_BYTES")
    log_bodies: bool = Field(False, validation_alias="POLICY_LOG_BODIES")
    wechat_answer_chars: int = Field(300, ge=50, validation_alias="POLICY_WECHAT_ANSWER_CHARS")
    # request handlers running at once in one worker
    request_threads: int = Field(8, ge=1, le=256, validation_alias="POLICY_REQUEST_THREADS")
    workers: int = Field(1, ge=1, le=64, validation_alias="POLICY_WORKERS")
    host: str = Field("127.0.0.1", validation_alias="HOST")
    port: int = Field(8000, ge=1, le=65535, validation_alias="PORT")

    @field_validator("api_keys", "admin_keys", mode="before")
    @classmethod
    def _comma_list(cls, v):
        if isinstance(v, str):
            return tuple(k.strip() for k in v.split(",") if k.strip())
        return v

    @field_validator("chroma_url", "session_url", "llm_base_url", "llm_model", "llm_api_key", "rate_limit",
                     "rate_limit_storage", "keys_file", "session_retention_days", "cache_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, v):
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("data_dir", "embeddings", "chroma_collection", mode="before")
    @classmethod
    def _empty_is_default(cls, v, info):
        if isinstance(v, str) and not v.strip():
            return cls.model_fields[info.field_name].default
        return v

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings: PydanticBaseSettingsSource, env_settings,
                                   dotenv_settings, file_secret_settings):
        """Only what the caller passes: the environment is read by `from_env`, never by surprise in a test."""
        return (init_settings,)

    @classmethod
    def from_env(cls) -> Settings:
        try:
            return _FromEnv()
        except ValidationError as exc:
            raise SettingsError(describe(exc)) from None


class _FromEnv(Settings):
    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        return (init_settings, env_settings)


def describe(exc: ValidationError) -> str:
    """'POLICY_LLM_TIMEOUT=abc: Input should be a valid integer' — the variable, never a secret's value."""
    parts = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err.get("loc") else "?"
        secret = name in {"POLICY_API_KEYS", "POLICY_ADMIN_KEYS", "POLICY_LLM_API_KEY"}
        given = "" if secret or "input" not in err else f"={err['input']!r}"
        parts.append(f"{name}{given}: {err['msg']}")
    return "invalid setting: " + "; ".join(parts)
