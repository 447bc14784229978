"""Staged inventory rows by level: a FULL file's absent levels found by index, not by a scan per level.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 08:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_stock_import_rows_import_sku_location", "stock_import_rows", ["import_id", "sku", "location_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_stock_import_rows_import_sku_location", table_name="stock_import_rows")
