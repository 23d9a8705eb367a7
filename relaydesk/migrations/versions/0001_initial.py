"""The conversation store and API keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("external_id", sa.String(255), unique=True),
        sa.Column("email", sa.String(320), unique=True),
        sa.Column("name", sa.String(255)),
        sa.Column("tier", sa.String(64)),
        sa.Column("attributes", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("team", sa.String(64)),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_index("ix_conversations_updated", "conversations", ["updated_at", "id"])
    op.create_index("ix_conversations_customer", "conversations", ["customer_id"])
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column(
            "conversation_id", sa.String(36), sa.ForeignKey("conversations.id"), nullable=False
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(255)),
        sa.Column("text", sa.Text()),
        sa.Column("channel", sa.String(32)),
        sa.Column("external_id", sa.String(255)),
        sa.Column("caused_by", sa.BigInteger(), sa.ForeignKey("events.id")),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.UniqueConstraint("channel", "external_id", name="uq_events_channel_external_id"),
    )
    op.create_index("ix_events_conversation", "events", ["conversation_id", "id"])
    op.create_index("ix_events_caused_by", "events", ["caused_by"])
    op.create_index("ix_events_kind", "events", ["kind", "id"])
    op.create_index(
        "uq_events_decision_per_message",
        "events",
        ["caused_by"],
        unique=True,
        sqlite_where=sa.text("kind = 'decision'"),
        postgresql_where=sa.text("kind = 'decision'"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("api_key_id", sa.String(36), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("message_id", sa.BigInteger(), sa.ForeignKey("events.id"), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME),
    )


def downgrade() -> None:
    for table in ("api_keys", "idempotency_keys", "events", "conversations", "customers"):
        op.drop_table(table)
