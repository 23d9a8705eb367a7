"""Safe actions: every action run with its Cedar verdict, the demo shop's side effects,
customers' grants to delegated agents (token hashes only), and approvals bound to one action.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(JSONB(), "postgresql")
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _action_runs()
    op.create_table(
        "shop_effects",
        sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column(
            "action_run_id", sa.BigInteger(), sa.ForeignKey("action_runs.id"), nullable=False
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(36), nullable=False),
        sa.Column("order_id", sa.String(64)),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_index("ix_shop_effects_order", "shop_effects", ["order_id"])
    _grants()
    _approvals()


def _action_runs() -> None:
    op.create_table(
        "action_runs",
        sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("arguments", JSON, nullable=False),
        sa.Column("actor_kind", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.String(255), nullable=False),
        sa.Column("on_behalf_of", sa.String(36)),
        sa.Column("grant_id", sa.String(36)),
        sa.Column("actor_chain", JSON, nullable=False),
        sa.Column("conversation_id", sa.String(36), sa.ForeignKey("conversations.id")),
        sa.Column("message_id", sa.BigInteger(), sa.ForeignKey("events.id")),
        sa.Column("proposal_index", sa.Integer()),
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(255), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("policies", JSON, nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("result", JSON, nullable=False),
        sa.Column("approval_id", sa.String(36)),
        sa.Column("decided_in_us", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.UniqueConstraint("message_id", "proposal_index", name="uq_action_runs_proposal"),
    )
    op.create_index("ix_action_runs_conversation", "action_runs", ["conversation_id", "id"])


def _grants() -> None:
    op.create_table(
        "grants",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("agent_id", sa.String(255), nullable=False),
        sa.Column("agent_name", sa.String(255)),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("refund_limit_cents", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("token_prefix", sa.String(16), nullable=False),
        sa.Column("issued_by", sa.String(255), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("rotated_at", TIME),
        sa.Column("revoked_at", TIME),
    )
    op.create_index("ix_grants_customer", "grants", ["customer_id"])


def _approvals() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "action_run_id", sa.BigInteger(), sa.ForeignKey("action_runs.id"), nullable=False
        ),
        sa.Column("conversation_id", sa.String(36), sa.ForeignKey("conversations.id")),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("arguments", JSON, nullable=False),
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(255), nullable=False),
        sa.Column("requested_by", JSON, nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("binding", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("decided_by", sa.String(255)),
        sa.Column("decided_at", TIME),
        sa.Column("executed_run_id", sa.BigInteger()),
    )
    op.create_index("ix_approvals_status", "approvals", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_approvals_status", "approvals")
    op.drop_table("approvals")
    op.drop_index("ix_grants_customer", "grants")
    op.drop_table("grants")
    op.drop_index("ix_shop_effects_order", "shop_effects")
    op.drop_table("shop_effects")
    op.drop_index("ix_action_runs_conversation", "action_runs")
    op.drop_table("action_runs")
