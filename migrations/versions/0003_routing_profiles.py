"""routing profiles

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 08:54:48.889805
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_profiles",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("distance_weight", sa.Double(), nullable=False),
        sa.Column("cost_weight", sa.Double(), nullable=False),
        sa.Column("priority_weight", sa.Double(), nullable=False),
        sa.Column("split_penalty", sa.Double(), nullable=False),
        sa.Column("max_splits", sa.Integer(), nullable=False),
        sa.Column("allow_ship_from_store", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "distance_weight >= 0 AND cost_weight >= 0 AND priority_weight >= 0 AND split_penalty >= 0",
            name=op.f("ck_routing_profiles_weights_non_negative"),
        ),
        sa.CheckConstraint("max_splits >= 1", name=op.f("ck_routing_profiles_max_splits_positive")),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], name=op.f("fk_routing_profiles_channel_id_channels")),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_routing_profiles")),
    )


def downgrade() -> None:
    op.drop_table("routing_profiles")
