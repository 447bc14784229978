"""payments and returns

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 13:08:09.598034
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_transactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_payment_transactions_amount_non_negative")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_payment_transactions_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_transactions")),
        sa.UniqueConstraint("order_id", "kind", "source", name="uq_payment_transactions_order_kind_source"),
    )
    with op.batch_alter_table("payment_transactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_transactions_order_id"), ["order_id"], unique=False)

    op.create_table(
        "returns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=48), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=True),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("refund_amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("refund_amount >= 0", name=op.f("ck_returns_refund_non_negative")),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], name=op.f("fk_returns_channel_id_channels")),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], name=op.f("fk_returns_location_id_locations")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("number", name=op.f("uq_returns_number")),
    )
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_returns_location_id"), ["location_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_returns_order_id"), ["order_id"], unique=False)

    op.create_table(
        "return_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("return_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("quantity_received", sa.Integer(), nullable=False),
        sa.Column("quantity_damaged", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_lines_quantity_positive")),
        sa.CheckConstraint(
            "quantity_damaged >= 0 AND quantity_damaged <= quantity_received",
            name=op.f("ck_return_lines_damaged_within"),
        ),
        sa.CheckConstraint(
            "quantity_received >= 0 AND quantity_received <= quantity",
            name=op.f("ck_return_lines_received_within_quantity"),
        ),
        sa.ForeignKeyConstraint(["return_id"], ["returns.id"], name=op.f("fk_return_lines_return_id_returns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
    )
    with op.batch_alter_table("return_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_lines_return_id"), ["return_id"], unique=False)

    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.drop_column("value")

    with op.batch_alter_table("return_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_lines_return_id"))

    op.drop_table("return_lines")
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_returns_order_id"))
        batch_op.drop_index(batch_op.f("ix_returns_location_id"))

    op.drop_table("returns")
    with op.batch_alter_table("payment_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_transactions_order_id"))

    op.drop_table("payment_transactions")
