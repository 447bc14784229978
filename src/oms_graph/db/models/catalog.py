"""Master data: sales channels, locations (warehouses, stores) and products."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, Choice, created_at, updated_at, uuid_pk
from oms_graph.domain.catalog import ChannelKind, LocationKind
from oms_graph.domain.orders import Confirmation


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ChannelKind] = mapped_column(Choice(ChannelKind, 20))
    currency: Mapped[str] = mapped_column(String(3))
    # Which of its orders start ON_HOLD until releaseOrder confirms them: NONE, CASH_ON_DELIVERY or ALL.
    confirmation: Mapped[Confirmation] = mapped_column(
        Choice(Confirmation, 20), default=Confirmation.NONE, server_default="NONE"
    )
    # The language customer messages of its orders are written in (ISO 639-1), e.g. en, de.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint("daily_ship_capacity IS NULL OR daily_ship_capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("handling_cost >= 0", name="handling_cost_non_negative"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[LocationKind] = mapped_column(Choice(LocationKind, 20))
    region: Mapped[str] = mapped_column(String(100))
    latitude: Mapped[float]
    longitude: Mapped[float]
    priority: Mapped[int] = mapped_column(default=0)
    # Capabilities are columns, not a list, so routing and ATP filter on them in SQL.
    can_ship: Mapped[bool] = mapped_column(default=False)
    can_pickup: Mapped[bool] = mapped_column(default=False)
    can_return: Mapped[bool] = mapped_column(default=False)
    daily_ship_capacity: Mapped[int | None]
    # What preparing one delivery fulfilment costs here; routing adds a distance and weight rate.
    handling_cost: Mapped[float] = mapped_column(default=0.0, server_default="0")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("weight_grams IS NULL OR weight_grams >= 0", name="weight_non_negative"),
        CheckConstraint("promised >= 0", name="promised_non_negative"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(100), index=True)
    weight_grams: Mapped[int | None]
    # Units of live delivery orders (placed, not cancelled, not shipped), routed or not: the per-sku
    # counter behind availableToPromise, changed only by conditional SQL. What is still only a promise
    # (not yet reserved at a location) is `promised` minus the sku's StockLevel.routed.
    promised: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
