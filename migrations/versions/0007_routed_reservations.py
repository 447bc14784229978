"""routed reservations: routing no longer moves units out of products.promised

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 11:00:00

`stock_levels.routed` is the part of `reserved` that routing took from the network promise, and
`products.promised` now counts every live delivery unit, routed or not. Existing routed delivery
fulfilments are carried over: their units become `routed` at their location and go back into `promised`,
which leaves availableToPromise as it was.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

HOLDING_STOCK = "('ASSIGNED', 'ACCEPTED', 'PICKED', 'PACKED', 'READY_FOR_PICKUP')"
ROUTED_HERE = (
    "SELECT coalesce(sum(fl.quantity), 0) FROM fulfilment_lines fl JOIN fulfilments f ON f.id = fl.fulfilment_id "
    "WHERE f.location_id = stock_levels.location_id AND fl.sku = stock_levels.sku "
    f"AND f.method = 'DELIVERY' AND f.status IN {HOLDING_STOCK}"
)


def upgrade() -> None:
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("routed", sa.Integer(), server_default="0", nullable=False))
    op.execute(f"UPDATE stock_levels SET routed = ({ROUTED_HERE})")
    op.execute(
        "UPDATE products SET promised = promised + "
        "(SELECT coalesce(sum(routed), 0) FROM stock_levels WHERE stock_levels.sku = products.sku)"
    )
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_stock_levels_routed_within_reserved"), "routed >= 0 AND routed <= reserved"
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_status_seq", ["status", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_status_seq")
    op.execute(
        "UPDATE products SET promised = promised - "
        "(SELECT coalesce(sum(routed), 0) FROM stock_levels WHERE stock_levels.sku = products.sku)"
    )
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_stock_levels_routed_within_reserved"), type_="check")
        batch_op.drop_column("routed")
