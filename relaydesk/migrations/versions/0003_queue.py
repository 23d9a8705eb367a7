"""The human queue: agents, claims with fencing tokens, and the fencing counter.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("teams", JSON, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint("capacity >= 1", name="ck_agents_capacity"),
        sa.CheckConstraint(
            "role IN ('agent', 'specialist', 'qa', 'knowledge_ops', 'admin')",
            name="ck_agents_role",
        ),
        sa.CheckConstraint("status IN ('available', 'away', 'offline')", name="ck_agents_status"),
    )
    op.create_table(
        "claims",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column(
            "conversation_id", sa.String(36), sa.ForeignKey("conversations.id"), nullable=False
        ),
        sa.Column("agent_id", sa.String(36), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("fencing_token", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("claimed_at", TIME, nullable=False),
        sa.Column("released_at", TIME),
        sa.Column("reason", sa.String(64)),
    )
    op.create_index(
        "uq_claims_active_conversation",
        "claims",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text("released_at IS NULL"),
        postgresql_where=sa.text("released_at IS NULL"),
    )
    op.create_index("ix_claims_agent_active", "claims", ["agent_id", "released_at"])
    fencing = op.create_table(
        "queue_fencing",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("next_token", sa.BigInteger(), nullable=False),
    )
    # The single counter row; claims lock and increment it. Tokens start at 1.
    op.bulk_insert(fencing, [{"id": 1, "next_token": 1}])


def downgrade() -> None:
    op.drop_index("ix_claims_agent_active", table_name="claims")
    op.drop_index("uq_claims_active_conversation", table_name="claims")
    for table in ("queue_fencing", "claims", "agents"):
        op.drop_table(table)
