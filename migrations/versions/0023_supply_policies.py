"""Selling against inbound supply: a policy per product (and per channel and sku over it), the units
promised against supply, and the orders waiting for it.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promised_future", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("supply_policy", sa.String(length=16), nullable=False, server_default="NONE"))
        batch_op.add_column(sa.Column("preorder_limit", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_products_promised_future_non_negative"), "promised_future >= 0")
    op.create_table(
        "channel_supply_policies",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_channel_supply_policies_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(["sku"], ["products.sku"], name=op.f("fk_channel_supply_policies_sku_products")),
        sa.PrimaryKeyConstraint("channel_id", "sku", name=op.f("pk_channel_supply_policies")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("future_units", JSON, nullable=True))
        batch_op.add_column(sa.Column("supply_due_at", WHEN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("supply_due_at")
        batch_op.drop_column("future_units")
    op.drop_table("channel_supply_policies")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_products_promised_future_non_negative"), type_="check")
        batch_op.drop_column("preorder_limit")
        batch_op.drop_column("supply_policy")
        batch_op.drop_column("promised_future")
