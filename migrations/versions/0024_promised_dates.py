"""The dates an order keeps: promised to the customer (once) and expected now, and each fulfilment's.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 21:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promised_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("expected_date", sa.Date(), nullable=True))
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expected_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.drop_column("expected_date")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("expected_date")
        batch_op.drop_column("promised_date")
