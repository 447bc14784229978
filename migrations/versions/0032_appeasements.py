"""Appeasements: money given back that no returned unit stands for, with a reason.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 01:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appeasements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_appeasements_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeasements")),
        sa.UniqueConstraint("order_id", "idempotency_key", name="uq_appeasements_order_key"),
    )
    op.create_index(op.f("ix_appeasements_order_id"), "appeasements", ["order_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_appeasements_order_id"), table_name="appeasements")
    op.drop_table("appeasements")
