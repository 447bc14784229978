"""Location calendars: a time zone, a cut-off hour and the weekdays a location opens, and its own days
(closed, or another shipping capacity).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC"))
        batch_op.add_column(sa.Column("cutoff_hour", sa.Integer(), nullable=False, server_default="16"))
        batch_op.add_column(sa.Column("opening", JSON, nullable=True))
    op.create_table(
        "location_days",
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], name=op.f("fk_location_days_location_id_locations")),
        sa.PrimaryKeyConstraint("location_id", "day", name=op.f("pk_location_days")),
    )


def downgrade() -> None:
    op.drop_table("location_days")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_column("opening")
        batch_op.drop_column("cutoff_hour")
        batch_op.drop_column("time_zone")
