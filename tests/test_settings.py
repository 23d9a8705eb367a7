from __future__ import annotations

import pytest
from pydantic import ValidationError

from relaydesk.settings import DEFAULT_SECRET, Settings


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYDESK_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="RELAYDESK_SECRET_KEY"):
        Settings()
    monkeypatch.setenv("RELAYDESK_SECRET_KEY", "short")
    with pytest.raises(ValidationError, match="at least 32"):
        Settings()
    monkeypatch.setenv("RELAYDESK_SECRET_KEY", "x" * 40)
    assert Settings().secret_key == "x" * 40


def test_development_allows_the_default_and_reads_the_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYDESK_DATABASE_URL", "sqlite:///elsewhere.db")
    settings = Settings()
    assert settings.secret_key == DEFAULT_SECRET
    assert settings.database_url == "sqlite:///elsewhere.db"
