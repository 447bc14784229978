"""Connector calls keep what is known of every call: its operation, outcome, duration and error. The status
code and attempt count, which no adapter reported, go.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-06 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connector_calls") as batch:
        batch.drop_column("status_code")
        batch.drop_column("attempts")


def downgrade() -> None:
    with op.batch_alter_table("connector_calls") as batch:
        batch.add_column(sa.Column("status_code", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
