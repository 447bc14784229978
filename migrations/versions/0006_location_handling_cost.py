"""location handling cost

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:20:27.257306
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handling_cost", sa.Double(), server_default="0", nullable=False))
        batch_op.create_check_constraint(op.f("ck_locations_handling_cost_non_negative"), "handling_cost >= 0")


def downgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_locations_handling_cost_non_negative"), type_="check")
        batch_op.drop_column("handling_cost")
