"""Alembic environment: the engine comes from Relaydesk (``relaydesk db upgrade``)."""

from __future__ import annotations

from alembic import context

from relaydesk.models import metadata

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
