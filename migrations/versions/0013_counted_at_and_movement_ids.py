"""Counts with a time (the last count applied to a level, the counted figure on its ledger row) and
idempotent movements from outside (a movement id, unique per location and source).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 09:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counted", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("movement_id", sa.String(length=200), nullable=True))
        batch_op.create_index(
            "ux_stock_movements_location_source_movement", ["location_id", "source", "movement_id"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index("ux_stock_movements_location_source_movement")
        batch_op.drop_column("movement_id")
        batch_op.drop_column("source")
        batch_op.drop_column("counted")
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.drop_column("counted_at")
