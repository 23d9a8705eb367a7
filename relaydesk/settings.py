"""Settings from the environment (``RELAYDESK_*``) or keyword arguments; read once per app."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, model_validator
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
    # The articles a new database starts with; later, `relaydesk kb import` and /v1/kb/articles.
    kb_dir: Path = Field(default=DEMO_DIR / "kb")
    # Hybrid BM25 + embeddings when the 'dense' extra is installed; false forces BM25 only.
    dense_retrieval: bool = True
    # How often a worker looks for knowledge-base changes made by other processes.
    kb_refresh_seconds: float = Field(default=2.0, ge=0)
    categories_file: Path = Field(default=DEMO_DIR / "categories.yaml")
    # Which classifier names the category on the message path: the keyword matcher, or the
    # trained one (`relaydesk train`; intent and out-of-scope too). Opt-in until it routes the
    # demo samples at least as well as the keywords (docs/policy.md).
    category_classifier: Literal["keywords", "trained"] = "keywords"
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
    # The AI attempt's composer (relaydesk/resolver/llm.py). "none" keeps the extractive
    # resolver: no model server, every sentence quoted from the knowledge base. "openai" is any
    # OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server: set llm_base_url,
    # e.g. http://localhost:11434/v1); "anthropic" is Anthropic's Messages API. Either way, every
    # sentence of a model's answer is checked against the passages it cites before it is sent.
    llm_provider: Literal["none", "openai", "anthropic"] = "none"
    llm_model: str = ""
    llm_base_url: str | None = None  # None: the provider's public API
    llm_api_key: SecretStr | None = None  # a local server usually needs none
    llm_timeout_seconds: float = Field(default=20.0, gt=0)  # per attempt, while data flows
    llm_max_retries: int = Field(default=1, ge=0, le=5)  # timeouts, 429 and 5xx are retried
    llm_max_tokens: int = Field(default=400, ge=16, le=4096)

    # Actions (docs/actions.md). The Cedar policies that authorize every action:
    authz_policies_file: Path = Field(
        default=Path(__file__).parent / "permissions" / "policies.cedar"
    )
    # Actions on the company's own HTTP API: a YAML file of `http_actions`, the API's base URL
    # and the bearer token sent with each call (never shown to the model or stored).
    actions_file: Path | None = None
    actions_api_base_url: str | None = None
    actions_api_token: SecretStr | None = None
    approval_ttl_minutes: int = Field(default=24 * 60, ge=1)  # an approval request's life
    # Delegated agents (AI agents acting for customers) have their own rate limits, per grant.
    delegated_rate_per_minute: int = Field(default=30, ge=1)
    delegated_burst: int = Field(default=10, ge=1)

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
    def _llm_needs_a_model(self) -> Settings:
        if self.llm_provider != "none" and not self.llm_model.strip():
            raise ValueError(
                f"RELAYDESK_LLM_MODEL must name a model when RELAYDESK_LLM_PROVIDER="
                f"{self.llm_provider}"
            )
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
