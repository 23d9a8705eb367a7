"""Agents sign in to the workspace (a scrypt password hash); indexes for reading the live
queue (waiting by team, each conversation's latest handoff, recent handoffs, recently
released claims).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(255)))
    op.create_index("ix_conversations_status_team", "conversations", ["status", "team"])
    op.create_index("ix_events_kind_created", "events", ["kind", "created_at"])
    op.create_index("ix_events_conversation_kind", "events", ["conversation_id", "kind", "id"])
    op.create_index("ix_claims_released", "claims", ["released_at"])


def downgrade() -> None:
    op.drop_index("ix_claims_released", "claims")
    op.drop_index("ix_events_conversation_kind", "events")
    op.drop_index("ix_events_kind_created", "events")
    op.drop_index("ix_conversations_status_team", "conversations")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("password_hash")
