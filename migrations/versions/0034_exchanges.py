"""Exchanges: a return that asks for replacement lines is linked to the replacement order, with the part of
the returned value that pays for it; a channel chooses whether replacements ship before the return arrives.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("returns") as batch:
        batch.add_column(sa.Column("exchange_order_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("exchange_credit", sa.Numeric(precision=18, scale=4), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_returns_exchange_order_id_orders"), "orders", ["exchange_order_id"], ["id"]
        )
        batch.create_index(batch.f("ix_returns_exchange_order_id"), ["exchange_order_id"], unique=True)
    with op.batch_alter_table("routing_profiles") as batch:
        batch.add_column(sa.Column("exchange_before_return", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("routing_profiles") as batch:
        batch.drop_column("exchange_before_return")
    with op.batch_alter_table("returns") as batch:
        batch.drop_index(batch.f("ix_returns_exchange_order_id"))
        batch.drop_constraint(batch.f("fk_returns_exchange_order_id_orders"), type_="foreignkey")
        batch.drop_column("exchange_credit")
        batch.drop_column("exchange_order_id")
