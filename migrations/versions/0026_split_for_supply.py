"""A routing profile's switch to ship what stock has at once and the rest when its supply arrives; the
orders waiting for supply (whatever their status, now that a split one is routed) found by an index.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("routing_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("split_for_supply", sa.Boolean(), nullable=False, server_default=sa.false()))
    waiting = sa.text("future_units IS NOT NULL")
    op.create_index("ix_orders_awaiting_supply", "orders", ["seq"], postgresql_where=waiting, sqlite_where=waiting)


def downgrade() -> None:
    op.drop_index("ix_orders_awaiting_supply", table_name="orders")
    with op.batch_alter_table("routing_profiles", schema=None) as batch_op:
        batch_op.drop_column("split_for_supply")
