"""Master data: sales channels, locations (warehouses, stores) and products; what each channel may promise."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base, Choice, PortableJSON, created_at, updated_at, uuid_pk
from oms_graph.domain.catalog import ChannelKind, LocationKind
from oms_graph.domain.orders import Confirmation
from oms_graph.domain.supply import SupplyPolicy


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
    # Where routing ranks locations from for a delivery address nothing can place (no coordinates, no
    # region, no match).
    default_region: Mapped[str | None] = mapped_column(String(100))
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
    # Its calendar (domain.calendars): its IANA time zone, the local hour after which work is for the next
    # open day, and the weekdays it opens ({"weekdays": [1, ...]}; NULL: every day). Days of its own:
    # LocationDay.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    cutoff_hour: Mapped[int] = mapped_column(default=16, server_default="16")
    opening: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class LocationDay(Base):
    """A date of a location's own: closed (a holiday, a blackout) and/or its shipping capacity that day."""

    __tablename__ = "location_days"

    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    closed: Mapped[bool] = mapped_column(default=False)
    capacity: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(String(200))


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("weight_grams IS NULL OR weight_grams >= 0", name="weight_non_negative"),
        CheckConstraint("promised >= 0", name="promised_non_negative"),
        CheckConstraint("promised_future >= 0", name="promised_future_non_negative"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(100), index=True)
    weight_grams: Mapped[int | None]
    ean: Mapped[str | None] = mapped_column(String(32), index=True)  # the barcode a scanner types
    # What one unit is worth to the chain (cost, in its books' currency): what stock differences are valued at.
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # Units of live delivery orders (placed, not cancelled, not shipped), routed or not: the per-sku
    # counter behind availableToPromise, changed only by conditional SQL. What is still only a promise
    # (not yet reserved at a location) is `promised` minus the sku's StockLevel.routed.
    promised: Mapped[int] = mapped_column(default=0, server_default="0")
    # Units of orders awaiting supply promised against inbound supply (never more than is due to come),
    # changed only by the ledger; and whether, and how far, the sku may be sold that way.
    promised_future: Mapped[int] = mapped_column(default=0, server_default="0")
    supply_policy: Mapped[SupplyPolicy] = mapped_column(
        Choice(SupplyPolicy, 16), default=SupplyPolicy.NONE, server_default=SupplyPolicy.NONE.value
    )
    preorder_limit: Mapped[int | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class ChannelSupplyPolicy(Base):
    """A channel's own supply policy for a sku, over the product's."""

    __tablename__ = "channel_supply_policies"

    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    policy: Mapped[SupplyPolicy] = mapped_column(Choice(SupplyPolicy, 16))
    updated_at: Mapped[datetime] = updated_at()


class AvailabilityPool(Base):
    """What a channel may see and promise: the locations that feed it and what is held back. A part left
    unset (None) restricts nothing; a channel without a pool sees the whole network."""

    __tablename__ = "availability_pools"
    __table_args__ = (
        CheckConstraint("buffer IS NULL OR buffer >= 0", name="buffer_non_negative"),
        CheckConstraint("buffer_percent IS NULL OR buffer_percent BETWEEN 0 AND 100", name="buffer_percent_range"),
        CheckConstraint("cap IS NULL OR cap >= 0", name="cap_non_negative"),
        CheckConstraint("low_stock_threshold IS NULL OR low_stock_threshold >= 0", name="threshold_non_negative"),
    )

    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id"), primary_key=True)
    location_kinds: Mapped[list[str] | None] = mapped_column(PortableJSON)
    regions: Mapped[list[str] | None] = mapped_column(PortableJSON)
    location_codes: Mapped[list[str] | None] = mapped_column(PortableJSON)
    buffer: Mapped[int | None]  # units held back per sku
    buffer_percent: Mapped[int | None]  # percent of the pool's units held back per sku (the larger hold wins)
    cap: Mapped[int | None]  # the most the channel is shown or promised per sku
    low_stock_threshold: Mapped[int | None]  # under it the figure sent out is 0
    updated_at: Mapped[datetime] = updated_at()


class ChannelPromise(Base):
    """Per channel and sku, the units of its live delivery orders (placed, not cancelled, not shipped), routed
    or not (`Product.promised` split by channel), and how many of them are routed (reserved at a location:
    `StockLevel.routed` split by channel). What a channel's orders wait for is the difference, which a pooled
    channel's pool must cover. Written only by the stock ledger, alongside the counters they split."""

    __tablename__ = "channel_promises"
    __table_args__ = (
        CheckConstraint("promised >= 0", name="channel_promised_non_negative"),
        CheckConstraint("routed >= 0", name="channel_routed_non_negative"),
    )

    # No foreign keys, on purpose: a key check would lock the channel and product rows (FOR KEY SHARE) each
    # time a transaction changes a row it changed before, making routing wait for placements' product locks
    # and piling shared locks on the channel row. Only the ledger writes here, with ids from orders.
    channel_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    promised: Mapped[int] = mapped_column(default=0, server_default="0")
    routed: Mapped[int] = mapped_column(default=0, server_default="0")
