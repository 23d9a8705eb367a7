"""Settings from the environment (``RELAYDESK_*``) or keyword arguments; read once per app."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    # Human teams: business hours, SLA targets and handle times (see relaydesk/queue/teams.py).
    teams_file: Path = Field(default=DEMO_DIR / "teams.yaml")
    # Your own handoff wording: <locale>.yaml files overriding the shipped pieces (docs/handoff.md).
    handoff_templates_dir: Path | None = None
    # The policy a new database starts with; later versions are loaded with `relaydesk policy`.
    policy_file: Path = Field(default=Path(__file__).parent / "policy" / "default.yaml")
    # How often a worker looks for a newly activated policy version or pilot.
    policy_refresh_seconds: float = 2.0
    # Conversations held out of every pilot, permanently: the baseline for measuring pilots.
    pilot_holdout_share: float = Field(default=0.05, ge=0, lt=1)
    # The company's time zone: rules read the hour and weekday of a message in it.
    timezone: str = "UTC"
    auto_migrate: bool = True
    idempotency_wait_seconds: float = 10.0
    db_pool_size: int = 10
    # The customer chat widget (docs/widget.md). Its rate limits hold per server process.
    widget_rate_per_minute: int = Field(default=30, ge=1)  # new sessions and messages
    widget_burst: int = Field(default=10, ge=1)
    widget_poll_per_minute: int = Field(default=120, ge=1)  # GET /widget/v1/events
    # An IP address (an office, a mobile network's NAT) gets this many visitors' limits.
    widget_ip_multiplier: int = Field(default=4, ge=1)
    widget_token_days: int = Field(default=30, ge=1)
    # Sites that may embed the widget from another origin, e.g. ["https://shop.example"].
    widget_allowed_origins: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_timezone(self) -> Settings:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"RELAYDESK_TIMEZONE {self.timezone!r} is not a known time zone"
            ) from None
        return self

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
