"""Analytics: daily sales and fulfilment time summaries, their watermark, when each order's last unit left.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 16:33:47.367752
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fulfilment_time_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tenths", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "tenths", name=op.f("pk_fulfilment_time_days")),
    )
    op.create_table(
        "sales_days",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("grain", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("location", sa.String(length=64), nullable=True),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("net_revenue", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("cancelled_units", sa.Integer(), nullable=False),
        sa.Column("returned_units", sa.Integer(), nullable=False),
        sa.Column("split_orders", sa.Integer(), nullable=False),
        sa.Column("backordered_orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_days")),
    )
    with op.batch_alter_table("sales_days", schema=None) as batch_op:
        batch_op.create_index("ix_sales_days_grain_day", ["grain", "day"], unique=False)

    op.create_table(
        "summary_watermarks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_summary_watermarks")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index(batch_op.f("ix_orders_created"))
        batch_op.create_index("ix_orders_created_fulfilled", ["created_at", "fulfilled_at"], unique=False)
    # Orders that already left: when their last fulfilment shipped or was collected (a store sale: sold).
    op.execute(
        """
        UPDATE orders SET fulfilled_at = COALESCE(
            (SELECT max(e.at) FROM order_events e WHERE e.order_id = orders.id
             AND e.type IN ('FULFILMENT_SHIPPED', 'FULFILMENT_COLLECTED')),
            created_at)
        WHERE status IN ('SHIPPED', 'COMPLETED')
        """
    )

    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.create_index("ix_returns_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index("ix_returns_created_at")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_created_fulfilled")
        batch_op.create_index(batch_op.f("ix_orders_created"), ["created_at"], unique=False)
        batch_op.drop_column("fulfilled_at")

    op.drop_table("summary_watermarks")
    with op.batch_alter_table("sales_days", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_days_grain_day")

    op.drop_table("sales_days")
    op.drop_table("fulfilment_time_days")
