"""Settings from `NEXUS_*` environment variables, with embedded defaults.

With nothing set, Nexus keeps everything under one data directory: a SQLite file per
service, its signing keys and its uploads. Setting `NEXUS_<SERVICE>_DATABASE_URL`
moves that service to PostgreSQL.
"""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("auth", "ledger", "ingest")


class Settings(BaseSettings):
    """Every tunable of a Nexus process; limits are named here, not buried in code."""

    model_config = SettingsConfigDict(env_prefix="NEXUS_", extra="ignore")

    data_dir: Path = Field(default=Path("./nexus-data"), description="Where embedded data lives.")
    auth_database_url: str | None = None
    ledger_database_url: str | None = None
    ingest_database_url: str | None = None
    database_echo: bool = False
    web_dir: Path | None = Field(
        default=None, description="Built web app to serve at / (default: frontend/dist)."
    )

    log_level: str = "INFO"
    log_json: bool = True

    access_token_ttl_seconds: int = Field(default=900, le=900)
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    jwt_issuer: str = "nexus"
    jwks_url: str | None = None  # distributed mode: where services fetch the auth keys
    ledger_url: str | None = None  # distributed mode: the ledger's base URL for other services

    request_body_bytes_max: int = 64 * 1024 * 1024
    page_size_default: int = 50
    page_size_max: int = 500
    batch_entries_max: int = 10_000
    postings_per_entry_max: int = 500

    import_bytes_max: int = 512 * 1024 * 1024
    import_lines_max: int = 2_000_000
    import_wait_seconds: float = Field(
        default=10.0, description="How long an upload or commit waits before answering 202."
    )
    import_chunk_lines: int = 5000  # lines stored, and entries posted, per transaction

    sealer_interval_ms: int = 1000
    sealer_block_entries_max: int = 5000
    outbox_interval_ms: int = 500
    outbox_batch_max: int = 500

    def database_url(self, service: str) -> str:
        """Return the SQLAlchemy URL of `service`: its own URL, or its SQLite file."""
        configured: str | None = getattr(self, f"{service}_database_url", None)
        if configured:
            return configured
        path = (self.data_dir / f"{service}.db").resolve()
        return f"sqlite+aiosqlite:///{path}"


@lru_cache
def get_settings() -> Settings:
    """Return the process's settings, read once from the environment."""
    return Settings()
