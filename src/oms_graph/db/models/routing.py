"""Routing preferences per sales channel."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, false
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, updated_at


class RoutingProfile(Base):
    __tablename__ = "routing_profiles"
    __table_args__ = (
        CheckConstraint(
            "distance_weight >= 0 AND cost_weight >= 0 AND priority_weight >= 0 AND split_penalty >= 0",
            name="weights_non_negative",
        ),
        CheckConstraint("max_splits >= 1", name="max_splits_positive"),
    )

    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id"), primary_key=True)
    distance_weight: Mapped[float]
    cost_weight: Mapped[float]
    priority_weight: Mapped[float]
    split_penalty: Mapped[float]
    max_splits: Mapped[int]
    allow_ship_from_store: Mapped[bool]
    # A pickup order its store cannot hold whole gets the missing units by a transfer from another location.
    allow_transfer_to_pickup: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A delivery order partly on a shelf and partly sold against inbound supply ships in two parts.
    split_for_supply: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime] = updated_at()
