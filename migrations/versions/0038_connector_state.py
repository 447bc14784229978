"""Connector state: where a marketplace connector stands (its order cursor, its stock cursor, the figures it
could not send yet), kept between polls.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-06 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connectors") as batch:
        batch.add_column(
            sa.Column("state", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"))
        )


def downgrade() -> None:
    with op.batch_alter_table("connectors") as batch:
        batch.drop_column("state")
