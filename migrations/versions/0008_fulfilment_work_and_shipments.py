"""fulfilment work and shipments

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 11:07:33.874021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shipments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fulfilment_id", sa.Uuid(), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("parcels", sa.Integer(), nullable=False),
        sa.Column(
            "weights_grams",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("parcels > 0", name=op.f("ck_shipments_parcels_positive")),
        sa.ForeignKeyConstraint(
            ["fulfilment_id"], ["fulfilments.id"], name=op.f("fk_shipments_fulfilment_id_fulfilments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint("carrier", "tracking_number", name="uq_shipments_carrier_tracking_number"),
        sa.UniqueConstraint("fulfilment_id", name=op.f("uq_shipments_fulfilment_id")),
    )
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rejection_reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("pickup_code", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("pickup_ready_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("pickup_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_fulfilments_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_fulfilments_status_pickup_expires", ["status", "pickup_expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fulfilments", schema=None) as batch_op:
        batch_op.drop_index("ix_fulfilments_status_pickup_expires")
        batch_op.drop_index("ix_fulfilments_status_created")
        batch_op.drop_column("pickup_expires_at")
        batch_op.drop_column("pickup_ready_at")
        batch_op.drop_column("pickup_code")
        batch_op.drop_column("note")
        batch_op.drop_column("rejection_reason")

    op.drop_table("shipments")
