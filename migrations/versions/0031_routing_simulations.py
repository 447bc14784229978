"""What-if routing simulations: the jobs and where each replayed order went.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "routing_simulations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("start", WHEN, nullable=False),
        sa.Column("end", WHEN, nullable=False),
        sa.Column("candidate", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("results", JSON, nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_routing_simulations_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_simulations")),
    )
    op.create_table(
        "simulated_orders",
        sa.Column("simulation_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("recorded", sa.String(length=500), nullable=False),
        sa.Column("actual", sa.String(length=500), nullable=False),
        sa.Column("candidate", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["simulation_id"],
            ["routing_simulations.id"],
            name=op.f("fk_simulated_orders_simulation_id_routing_simulations"),
        ),
        sa.PrimaryKeyConstraint("simulation_id", "seq", name=op.f("pk_simulated_orders")),
    )


def downgrade() -> None:
    op.drop_table("simulated_orders")
    op.drop_table("routing_simulations")
