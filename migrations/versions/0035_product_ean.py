"""Products' barcodes: a product's EAN (or any barcode a scanner types), found by the store app's scan field.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06 05:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("ean", sa.String(32), nullable=True))
        batch.create_index("ix_products_ean", ["ean"])


def downgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.drop_index("ix_products_ean")
        batch.drop_column("ean")
