"""API keys with a lifecycle: expiry, last use, creator, note, rotation, and a change time every API process
watches (revocations reach them within a second).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("created_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("replaced_by_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_api_keys_replaced_by_id_api_keys"), "api_keys", ["replaced_by_id"], ["id"]
        )
        batch_op.create_index("ix_api_keys_changed_at", ["changed_at"])


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_api_keys_changed_at")
        batch_op.drop_constraint(batch_op.f("fk_api_keys_replaced_by_id_api_keys"), type_="foreignkey")
        for name in ("changed_at", "replaced_by_id", "note", "created_by", "last_used_at", "expires_at"):
            batch_op.drop_column(name)
