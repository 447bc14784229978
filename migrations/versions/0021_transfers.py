"""Transfers between locations: transfer orders and their lines, transit times per pair of locations, stock
in transit at the destination, ship-to-store (a pickup order's units by transfer), and transfer events.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "transfers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("from_location_id", sa.Uuid(), nullable=False),
        sa.Column("to_location_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("fulfilment_id", sa.Uuid(), nullable=True),
        sa.Column("rejection_reason", sa.String(length=16), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("expected_at", WHEN, nullable=True),
        sa.Column("shipped_at", WHEN, nullable=True),
        sa.Column("received_at", WHEN, nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint("from_location_id <> to_location_id", name=op.f("ck_transfers_two_locations")),
        sa.ForeignKeyConstraint(
            ["from_location_id"], ["locations.id"], name=op.f("fk_transfers_from_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["locations.id"], name=op.f("fk_transfers_to_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_transfers_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["fulfilment_id"], ["fulfilments.id"], name=op.f("fk_transfers_fulfilment_id_fulfilments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
        sa.UniqueConstraint("seq", name=op.f("uq_transfers_seq")),
        sa.UniqueConstraint("number", name=op.f("uq_transfers_number")),
    )
    op.create_index("ix_transfers_from_status", "transfers", ["from_location_id", "status"])
    op.create_index("ix_transfers_to_status", "transfers", ["to_location_id", "status"])
    op.create_index(op.f("ix_transfers_order_id"), "transfers", ["order_id"])
    op.create_index(op.f("ix_transfers_fulfilment_id"), "transfers", ["fulfilment_id"])
    op.create_table(
        "transfer_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("quantity_picked", sa.Integer(), nullable=True),
        sa.Column("quantity_received", sa.Integer(), nullable=True),
        sa.Column("quantity_damaged", sa.Integer(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_transfer_lines_quantity_positive")),
        sa.CheckConstraint(
            "quantity_picked IS NULL OR quantity_picked BETWEEN 0 AND quantity",
            name=op.f("ck_transfer_lines_picked_within_quantity"),
        ),
        sa.CheckConstraint(
            "(quantity_received IS NULL) = (quantity_damaged IS NULL) AND "
            "(quantity_received IS NULL OR quantity_received >= 0 AND quantity_damaged >= 0)",
            name=op.f("ck_transfer_lines_receipt_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.id"], name=op.f("fk_transfer_lines_transfer_id_transfers")
        ),
        sa.ForeignKeyConstraint(["sku"], ["products.sku"], name=op.f("fk_transfer_lines_sku_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_lines")),
    )
    op.create_index("ix_transfer_lines_transfer_sku", "transfer_lines", ["transfer_id", "sku"], unique=True)
    op.create_table(
        "transit_times",
        sa.Column("from_location_id", sa.Uuid(), nullable=False),
        sa.Column("to_location_id", sa.Uuid(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint("hours > 0", name=op.f("ck_transit_times_hours_positive")),
        sa.ForeignKeyConstraint(
            ["from_location_id"], ["locations.id"], name=op.f("fk_transit_times_from_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["locations.id"], name=op.f("fk_transit_times_to_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("from_location_id", "to_location_id", name=op.f("pk_transit_times")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE transfer_number_seq")
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_transit", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_check_constraint(op.f("ck_stock_levels_in_transit_non_negative"), "in_transit >= 0")
    with op.batch_alter_table("routing_profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allow_transfer_to_pickup", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transfer_units", JSON, nullable=True))
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transfer_id", sa.Uuid(), nullable=True))
        batch_op.alter_column("order_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_order_events_transfer_id_transfers"), "transfers", ["transfer_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_order_events_transfer_id"), ["transfer_id"])


def downgrade() -> None:
    op.execute("DELETE FROM order_events WHERE order_id IS NULL")
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_events_transfer_id"))
        batch_op.drop_constraint(batch_op.f("fk_order_events_transfer_id_transfers"), type_="foreignkey")
        batch_op.alter_column("order_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("transfer_id")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("transfer_units")
    with op.batch_alter_table("routing_profiles", schema=None) as batch_op:
        batch_op.drop_column("allow_transfer_to_pickup")
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_stock_levels_in_transit_non_negative"), type_="check")
        batch_op.drop_column("in_transit")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE transfer_number_seq")
    op.drop_table("transit_times")
    op.drop_index("ix_transfer_lines_transfer_sku", table_name="transfer_lines")
    op.drop_table("transfer_lines")
    op.drop_index(op.f("ix_transfers_fulfilment_id"), table_name="transfers")
    op.drop_index(op.f("ix_transfers_order_id"), table_name="transfers")
    op.drop_index("ix_transfers_to_status", table_name="transfers")
    op.drop_index("ix_transfers_from_status", table_name="transfers")
    op.drop_table("transfers")
