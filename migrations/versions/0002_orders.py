"""orders

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 08:14:29.303943
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("hold_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "customer", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("customer_email", sa.String(length=320), nullable=True),
        sa.Column("delivery_method", sa.String(length=16), nullable=False),
        sa.Column(
            "delivery_address",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("pickup_location_id", sa.Uuid(), nullable=True),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("service", sa.String(length=64), nullable=True),
        sa.Column("delivery_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("payment_method", sa.String(length=24), nullable=False),
        sa.Column("payment_provider", sa.String(length=64), nullable=True),
        sa.Column("payment_reference", sa.String(length=200), nullable=True),
        sa.Column("payment_status", sa.String(length=24), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("origin_location_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], name=op.f("fk_orders_channel_id_channels")),
        sa.ForeignKeyConstraint(
            ["origin_location_id"], ["locations.id"], name=op.f("fk_orders_origin_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["pickup_location_id"], ["locations.id"], name=op.f("fk_orders_pickup_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("channel_id", "external_id", name="uq_orders_channel_external_id"),
        sa.UniqueConstraint("channel_id", "idempotency_key", name="uq_orders_channel_idempotency_key"),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
        sa.UniqueConstraint("seq", name=op.f("uq_orders_seq")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_channel_created", ["channel_id", "created_at"], unique=False)
        batch_op.create_index("ix_orders_created", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_customer_email"), ["customer_email"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_origin_location_id"), ["origin_location_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_pickup_location_id"), ["pickup_location_id"], unique=False)

    op.create_table(
        "order_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column(
            "data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_events_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.create_index("ix_order_events_order_id", ["order_id", "id"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("quantity_cancelled", sa.Integer(), nullable=False),
        sa.Column("quantity_shipped", sa.Integer(), nullable=False),
        sa.Column("quantity_returned", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        sa.CheckConstraint(
            "quantity_cancelled >= 0 AND quantity_shipped >= 0 AND quantity_returned >= 0",
            name=op.f("ck_order_lines_counts_non_negative"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index("ix_order_lines_order_line_no", ["order_id", "line_no"], unique=True)
        batch_op.create_index(batch_op.f("ix_order_lines_sku"), ["sku"], unique=False)

    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmation", sa.String(length=20), server_default="NONE", nullable=False))

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promised", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint(op.f("ck_products_promised_non_negative"), "promised >= 0")

    # Order numbers: a sequence hands them out without a lock on PostgreSQL (SQLite has one writer).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE order_number_seq")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE order_number_seq")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_products_promised_non_negative"), type_="check")
        batch_op.drop_column("promised")

    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("confirmation")

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_sku"))
        batch_op.drop_index("ix_order_lines_order_line_no")

    op.drop_table("order_lines")
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_index("ix_order_events_order_id")

    op.drop_table("order_events")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_pickup_location_id"))
        batch_op.drop_index(batch_op.f("ix_orders_origin_location_id"))
        batch_op.drop_index(batch_op.f("ix_orders_customer_email"))
        batch_op.drop_index("ix_orders_created")
        batch_op.drop_index("ix_orders_channel_created")

    op.drop_table("orders")
