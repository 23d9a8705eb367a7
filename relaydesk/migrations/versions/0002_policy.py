"""Policy versions, activations and pilots; hash-chained decision records and outcomes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "policy_activations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("policy_versions.id"), nullable=False),
        sa.Column("activated_by", sa.String(255), nullable=False),
        sa.Column("activated_at", TIME, nullable=False),
        sa.Column("reason", sa.String(255), nullable=False),
    )
    op.create_table(
        "policy_pilots",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "candidate_version_id",
            sa.Integer(),
            sa.ForeignKey("policy_versions.id"),
            nullable=False,
        ),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("channels", JSON, nullable=False),
        sa.Column("categories", JSON, nullable=False),
        sa.Column("started_by", sa.String(255), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("stopped_by", sa.String(255)),
        sa.Column("stopped_at", TIME),
    )
    op.create_table(
        "decision_records",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column(
            "message_id", sa.BigInteger(), sa.ForeignKey("events.id"), nullable=False, unique=True
        ),
        sa.Column("conversation_id", sa.String(36), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("policy_name", sa.String(64), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("policy_hash", sa.String(64), nullable=False),
        sa.Column("arm", sa.String(16)),
        sa.Column("route", sa.String(32), nullable=False),
        sa.Column("team", sa.String(64)),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_decision_records_created", "decision_records", ["created_at", "seq"])
    op.create_index(
        "ix_decision_records_conversation", "decision_records", ["conversation_id", "seq"]
    )
    head = op.create_table(
        "decision_chain_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    # The chain starts here: record 1's prev_hash is 64 zeros.
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "0" * 64, "updated_at": datetime.now(UTC)}])
    op.create_table(
        "decision_outcomes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column(
            "decision_seq",
            sa.BigInteger(),
            sa.ForeignKey("decision_records.seq"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.Float()),
        sa.Column("note", sa.Text()),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_index("ix_decision_outcomes_decision", "decision_outcomes", ["decision_seq", "kind"])


def downgrade() -> None:
    for table in (
        "decision_outcomes",
        "decision_chain_head",
        "decision_records",
        "policy_pilots",
        "policy_activations",
        "policy_versions",
    ):
        op.drop_table(table)
