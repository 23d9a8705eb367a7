"""Settings from the environment (``RELAYDESK_*``) or keyword arguments; read once per app."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-in-production"  # noqa: S105 - the sentinel we refuse in production
DEMO_DIR = Path(__file__).parent / "demo"

# A customer message is a chat turn or an email body, not a document: 10,000 characters
# (about 1,500 words) covers a long complaint and bounds the cost of every stage.
MAX_MESSAGE_CHARS = 10_000
MAX_BODY_BYTES = 256 * 1024


class Settings(BaseSettings):
    """Everything configurable. ``environment=production`` refuses the default secret."""

    model_config = SettingsConfigDict(env_prefix="RELAYDESK_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    secret_key: str = DEFAULT_SECRET
    database_url: str = "sqlite:///relaydesk.db"
    kb_dir: Path = Field(default=DEMO_DIR / "kb")
    categories_file: Path = Field(default=DEMO_DIR / "categories.yaml")
    auto_migrate: bool = True
    idempotency_wait_seconds: float = 10.0
    db_pool_size: int = 10

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "RELAYDESK_SECRET_KEY must be set to a private value when "
                "RELAYDESK_ENVIRONMENT=production"
            )
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("RELAYDESK_SECRET_KEY must be at least 32 characters in production")
        return self
