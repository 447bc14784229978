"""Order versions: each edit of an order's lines, delivery or price makes its next version.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("version")
