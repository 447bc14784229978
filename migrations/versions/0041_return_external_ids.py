"""Return external ids: the marketplace's own id of a return it sent (one return per id and order).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-06 09:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("returns") as batch:
        batch.add_column(sa.Column("external_id", sa.String(100), nullable=True))
        batch.create_unique_constraint("uq_returns_order_external", ["order_id", "external_id"])


def downgrade() -> None:
    with op.batch_alter_table("returns") as batch:
        batch.drop_constraint("uq_returns_order_external", type_="unique")
        batch.drop_column("external_id")
