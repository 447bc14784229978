"""Channel availability pools (which locations feed a channel, what is held back) and the per-channel
split of the promise (`channel_promises`), filled from the live delivery orders.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "availability_pools",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("location_kinds", JSON, nullable=True),
        sa.Column("regions", JSON, nullable=True),
        sa.Column("location_codes", JSON, nullable=True),
        sa.Column("buffer", sa.Integer(), nullable=True),
        sa.Column("buffer_percent", sa.Integer(), nullable=True),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("low_stock_threshold", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("buffer IS NULL OR buffer >= 0", name=op.f("ck_availability_pools_buffer_non_negative")),
        sa.CheckConstraint(
            "buffer_percent IS NULL OR buffer_percent BETWEEN 0 AND 100",
            name=op.f("ck_availability_pools_buffer_percent_range"),
        ),
        sa.CheckConstraint("cap IS NULL OR cap >= 0", name=op.f("ck_availability_pools_cap_non_negative")),
        sa.CheckConstraint(
            "low_stock_threshold IS NULL OR low_stock_threshold >= 0",
            name=op.f("ck_availability_pools_threshold_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_availability_pools_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_availability_pools")),
    )
    op.create_table(
        "channel_promises",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("promised", sa.Integer(), server_default="0", nullable=False),
        sa.Column("routed", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("promised >= 0", name=op.f("ck_channel_promises_channel_promised_non_negative")),
        sa.CheckConstraint("routed >= 0", name=op.f("ck_channel_promises_channel_routed_non_negative")),
        sa.PrimaryKeyConstraint("channel_id", "sku", name=op.f("pk_channel_promises")),
    )
    # Every live delivery unit (not cancelled, not shipped) is in its channel's promise, as in Product.promised;
    # the units open delivery fulfilments hold are routed, as in StockLevel.routed.
    op.execute(
        """
        INSERT INTO channel_promises (channel_id, sku, promised, routed)
        SELECT o.channel_id, l.sku, SUM(l.quantity - l.quantity_cancelled - l.quantity_shipped), 0
        FROM order_lines l JOIN orders o ON o.id = l.order_id
        WHERE o.delivery_method = 'DELIVERY'
        GROUP BY o.channel_id, l.sku
        HAVING SUM(l.quantity - l.quantity_cancelled - l.quantity_shipped) > 0
        """
    )
    op.execute(
        """
        UPDATE channel_promises SET routed = COALESCE((
            SELECT SUM(COALESCE(fl.quantity_picked, fl.quantity))
            FROM fulfilment_lines fl
            JOIN fulfilments f ON f.id = fl.fulfilment_id
            JOIN orders o ON o.id = f.order_id
            WHERE o.channel_id = channel_promises.channel_id AND fl.sku = channel_promises.sku
              AND f.method = 'DELIVERY' AND f.status IN ('ASSIGNED', 'ACCEPTED', 'PICKED', 'PACKED')
        ), 0)
        """
    )


def downgrade() -> None:
    op.drop_table("channel_promises")
    op.drop_table("availability_pools")
