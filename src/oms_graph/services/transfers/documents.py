"""A transfer's manifest PDF: what it carries, from where to where; for the keys of either end."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.adapters.carriers import documents
from oms_graph.db.models import Location, Order, Product, TransferLine
from oms_graph.domain.access import Principal
from oms_graph.domain.errors import DomainError, ErrorCode
from oms_graph.services.fulfilment.shipping import DOCUMENT_ROLES, location_address
from oms_graph.services.transfers.reads import get_transfer


async def manifest_pdf(session: AsyncSession, *, transfer_id: uuid.UUID, principal: Principal) -> bytes:
    """NOT_FOUND for a transfer the caller cannot see (a STORE key sees those from or to its location)."""
    if principal.role not in DOCUMENT_ROLES:
        raise DomainError.one(ErrorCode.PERMISSION_DENIED, ["id"], "transfer documents are for the locations' keys")
    transfer = await get_transfer(session, principal=principal, transfer_id=transfer_id)
    if transfer is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, ["id"], "no such transfer")
    source = await session.get_one(Location, transfer.from_location_id)
    destination = await session.get_one(Location, transfer.to_location_id)
    order_number = None
    if transfer.order_id is not None:
        order_number = await session.scalar(select(Order.number).where(Order.id == transfer.order_id))
    rows = (
        await session.execute(
            select(TransferLine.sku, Product.name, TransferLine.quantity, TransferLine.quantity_picked)
            .outerjoin(Product, Product.sku == TransferLine.sku)
            .where(TransferLine.transfer_id == transfer.id)
            .order_by(TransferLine.sku)
        )
    ).all()
    sheet = documents.TransferSheet(
        number=transfer.number,
        source=location_address(source),
        destination=location_address(destination),
        order_number=order_number,
        expected=transfer.expected_at.isoformat(timespec="minutes") if transfer.expected_at else None,
        lines=tuple(
            documents.SlipLine(sku, name or "", quantity if picked is None else picked)
            for sku, name, quantity, picked in rows
        ),
    )
    return documents.transfer_manifest(sheet)
