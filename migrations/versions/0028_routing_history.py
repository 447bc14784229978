"""Every routing decision of an order, in order, with its explanation (order.routingHistory).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "routing_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("explanation", JSON, nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_routing_history_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_history")),
    )
    op.create_index("ix_routing_history_order_id", "routing_history", ["order_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_routing_history_order_id", table_name="routing_history")
    op.drop_table("routing_history")
