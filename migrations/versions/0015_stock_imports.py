"""Inventory files as jobs (the file in chunks, its staged rows, the job, the differences counted) and what a
unit is worth (products.unit_cost), to value the differences.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_cost", sa.Numeric(precision=12, scale=2), nullable=True))
    op.create_table(
        "stock_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("bytes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_refused", sa.Integer(), nullable=False),
        sa.Column("staged_line", sa.Integer(), nullable=False),
        sa.Column("staged", sa.Boolean(), nullable=False),
        sa.Column("applied_line", sa.Integer(), nullable=False),
        sa.Column("errors", JSON, nullable=False),
        sa.Column("failure", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progressed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_imports")),
    )
    with op.batch_alter_table("stock_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_imports_status"), ["status"], unique=False)
    op.create_table(
        "stock_import_chunks",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["stock_imports.id"], name=op.f("fk_stock_import_chunks_import_id_stock_imports")
        ),
        sa.PrimaryKeyConstraint("import_id", "seq", name=op.f("pk_stock_import_chunks")),
    )
    op.create_table(
        "stock_import_rows",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=True),
        sa.Column("delta", sa.Integer(), nullable=True),
        sa.Column("safety_stock", sa.Integer(), nullable=True),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("movement_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"], ["stock_imports.id"], name=op.f("fk_stock_import_rows_import_id_stock_imports")
        ),
        sa.PrimaryKeyConstraint("import_id", "line", name=op.f("pk_stock_import_rows")),
    )
    op.create_table(
        "stock_import_differences",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("difference", sa.Integer(), nullable=False),
        sa.Column("size", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["stock_imports.id"], name=op.f("fk_stock_import_differences_import_id_stock_imports")
        ),
        sa.PrimaryKeyConstraint("import_id", "sku", "location_id", name=op.f("pk_stock_import_differences")),
    )
    with op.batch_alter_table("stock_import_differences", schema=None) as batch_op:
        batch_op.create_index("ix_stock_import_differences_import_size", ["import_id", "size"], unique=False)


def downgrade() -> None:
    op.drop_table("stock_import_differences")
    op.drop_table("stock_import_rows")
    op.drop_table("stock_import_chunks")
    op.drop_table("stock_imports")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("unit_cost")
