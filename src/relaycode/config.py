"""Runtime configuration, read from the environment (``RELAYCODE_*``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELAYCODE_", extra="ignore")

    data_dir: Path = Field(default=Path("./var"))
    database_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    # Extra hosts whose /C/ links we treat as ours (e.g. an old domain after a move).
    host_aliases: list[str] = Field(default_factory=list)
    # Upload limits for decoding and offer images.
    max_upload_bytes: int = 8 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    session_days: int = 30
    login_attempts_per_minute: int = 10
    cookie_secure: bool = False
    # How often devices' "last seen" and API keys' "last used" times are written.
    activity_flush_seconds: float = Field(default=5.0, gt=0)
    # argon2id cost; tests lower it, production keeps the library's defaults.
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'relaycode.sqlite3').resolve()}"

    @property
    def public_host(self) -> str:
        """Host (with port when not default) that codes are written for, uppercase."""
        return urlsplit(self.public_url).netloc.upper()

    @property
    def public_scheme(self) -> str:
        return urlsplit(self.public_url).scheme.upper() or "HTTPS"

    @property
    def our_hosts(self) -> frozenset[str]:
        return frozenset([self.public_host, *(h.upper() for h in self.host_aliases)])

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
