"""fulfilments and routing decisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 08:57:22.443637
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fulfilments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], name=op.f("fk_fulfilments_location_id_locations")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_fulfilments_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfilments")),
    )
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.create_index("ix_fulfilments_location_created", ["location_id", "created_at"], unique=False)
        batch_op.create_index("ix_fulfilments_location_status", ["location_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_fulfilments_order_id"), ["order_id"], unique=False)

    op.create_table(
        "fulfilment_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fulfilment_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("quantity_picked", sa.Integer(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_fulfilment_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["fulfilment_id"], ["fulfilments.id"], name=op.f("fk_fulfilment_lines_fulfilment_id_fulfilments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfilment_lines")),
    )
    with op.batch_alter_table("fulfilment_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fulfilment_lines_fulfilment_id"), ["fulfilment_id"], unique=False)

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "routing", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("routing")

    with op.batch_alter_table("fulfilment_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fulfilment_lines_fulfilment_id"))

    op.drop_table("fulfilment_lines")
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fulfilments_order_id"))
        batch_op.drop_index("ix_fulfilments_location_status")
        batch_op.drop_index("ix_fulfilments_location_created")

    op.drop_table("fulfilments")
