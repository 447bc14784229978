"""AVAILABILITY_CHANGED webhooks: where each endpoint's deliveries stand, and the figures last delivered.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "availability_cursors",
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("level_mark", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_availability_cursors_endpoint_id_webhook_endpoints"),
        ),
        sa.PrimaryKeyConstraint("endpoint_id", name=op.f("pk_availability_cursors")),
    )
    op.create_table(
        "availability_sent",
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("figure", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"], ["webhook_endpoints.id"], name=op.f("fk_availability_sent_endpoint_id_webhook_endpoints")
        ),
        sa.PrimaryKeyConstraint("endpoint_id", "channel_id", "sku", name=op.f("pk_availability_sent")),
    )


def downgrade() -> None:
    op.drop_table("availability_sent")
    op.drop_table("availability_cursors")
