"""What every command that touches the database shares: the --db option and opening it."""

from __future__ import annotations

from typing import Annotated

import typer

from relaydesk.db import Database
from relaydesk.settings import Settings

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL; default: RELAYDESK_DATABASE_URL or sqlite."),
]


def settings_for(db: str | None) -> Settings:
    return Settings(database_url=db) if db else Settings()


def open_database(db: str | None) -> tuple[Settings, Database]:
    """The settings and the database, migrated to the latest schema."""
    settings = settings_for(db)
    database = Database(settings.database_url, settings.db_pool_size)
    database.upgrade()
    return settings, database
