"""Routing strategies as data: location groups, a channel's strategy versions (rules in order) and their
activations; the version that routed an order.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "location_groups",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("location_codes", JSON, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_location_groups")),
    )
    op.create_table(
        "routing_strategies",
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rules", JSON, nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_routing_strategies_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("channel_id", "version", name=op.f("pk_routing_strategies")),
    )
    op.create_table(
        "routing_strategy_activations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("activates_at", WHEN, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_routing_strategy_activations_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_strategy_activations")),
    )
    op.create_index(
        "ix_routing_strategy_activations_channel",
        "routing_strategy_activations",
        ["channel_id", "activates_at", "id"],
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("strategy_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("strategy_version")
    op.drop_index("ix_routing_strategy_activations_channel", table_name="routing_strategy_activations")
    op.drop_table("routing_strategy_activations")
    op.drop_table("routing_strategies")
    op.drop_table("location_groups")
