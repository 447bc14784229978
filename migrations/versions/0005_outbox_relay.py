"""outbox relay

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 09:01:19.979587
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_order_events_relayed_at", ["relayed_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_index("ix_order_events_relayed_at")
        batch_op.drop_column("relayed_at")
