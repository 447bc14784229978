"""The messages an order's customer was sent, in the schema."""

from __future__ import annotations

from datetime import datetime

import strawberry

from oms_graph.db import models


@strawberry.type(description="A message to the customer about their order, and what became of it.")
class Notification:
    template: str = strawberry.field(description="The event it tells about, e.g. FULFILMENT_SHIPPED.")
    medium: str = strawberry.field(description="EMAIL or SMS.")
    recipient: str
    subject: str
    status: str = strawberry.field(description="PENDING, SENT, FAILED, or SKIPPED (no sender configured).")
    error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, n: models.Notification) -> Notification:
        return cls(
            template=n.template,
            medium=n.medium,
            recipient=n.recipient,
            subject=n.subject,
            status=n.status,
            error=n.error,
            created_at=n.created_at,
            sent_at=n.sent_at,
        )
