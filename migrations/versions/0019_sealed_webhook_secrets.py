"""Webhook endpoints' secrets sealed at rest (adapters/sealing.py): the column grows to hold a sealed value,
and every secret kept in clear is sealed with the configured key (opened again on the way down).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from oms_graph.adapters import sealing

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

endpoints = sa.table("webhook_endpoints", sa.column("id", sa.Uuid()), sa.column("secret", sa.String()))


def _rewrite(change) -> None:  # type: ignore[no-untyped-def]
    conn = op.get_bind()
    for endpoint_id, secret in conn.execute(sa.select(endpoints.c.id, endpoints.c.secret)).all():
        new = change(secret)
        if new != secret:
            conn.execute(endpoints.update().where(endpoints.c.id == endpoint_id).values(secret=new))


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.alter_column("secret", type_=sa.String(length=1000), existing_nullable=False)
    # The key ring is asked for only when there is a secret to seal (no key file is made for nothing).
    _rewrite(lambda secret: secret if sealing.is_sealed(secret) else sealing.configured().seal(secret))


def downgrade() -> None:
    _rewrite(lambda secret: sealing.configured().open(secret))
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.alter_column("secret", type_=sa.String(length=200), existing_nullable=False)
