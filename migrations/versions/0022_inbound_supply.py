"""Inbound supply: purchase orders and advance shipping notices per location and sku, due on a date.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 21:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbound_supply",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("quantity_received", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("expected_at", WHEN, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint(
            "quantity >= 0 AND quantity_received >= 0", name=op.f("ck_inbound_supply_quantities_non_negative")
        ),
        sa.CheckConstraint("quantity_received <= quantity", name=op.f("ck_inbound_supply_received_within_quantity")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_inbound_supply_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["sku"], ["products.sku"], name=op.f("fk_inbound_supply_sku_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_supply")),
        sa.UniqueConstraint("external_id", name=op.f("uq_inbound_supply_external_id")),
    )
    op.create_index(op.f("ix_inbound_supply_location_id"), "inbound_supply", ["location_id"])
    op.create_index("ix_inbound_supply_sku_status_expected", "inbound_supply", ["sku", "status", "expected_at"])


def downgrade() -> None:
    op.drop_table("inbound_supply")
