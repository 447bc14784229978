"""The promise sweep's marks on an order: whether it may miss its date, and the causes it was flagged for.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("at_risk", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("risk_causes", JSON, nullable=True))
        batch_op.create_index(batch_op.f("ix_orders_at_risk"), ["at_risk"])


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_at_risk"))
        batch_op.drop_column("risk_causes")
        batch_op.drop_column("at_risk")
