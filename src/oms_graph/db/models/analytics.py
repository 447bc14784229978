"""Stored sales summaries: what analytics reads for whole days, rebuilt a day at a time."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from oms_graph.db.base import Base
from oms_graph.db.models.orders import Money


class SalesDay(Base):
    """A day's figures per channel, region and currency; grain 1 adds category, 2 location, 3 both
    (domain.analytics.grain). Orders are counted per row, so rows of one grain add up over days, channels
    and regions; each grouping reads the grain that keeps its dimensions."""

    __tablename__ = "sales_days"
    __table_args__ = (Index("ix_sales_days_grain_day", "grain", "day"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    grain: Mapped[int] = mapped_column(SmallInteger)
    day: Mapped[date]
    channel: Mapped[str] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    category: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(64))
    orders: Mapped[int]
    units: Mapped[int]
    revenue: Mapped[Decimal] = mapped_column(Money)
    net_revenue: Mapped[Decimal] = mapped_column(Money)
    cancelled_units: Mapped[int]
    returned_units: Mapped[int]
    split_orders: Mapped[int]
    backordered_orders: Mapped[int]


class FulfilmentTimeDay(Base):
    """How many of a day's orders left in how many tenths of an hour after placement (their last unit):
    the counts fulfilment time percentiles of whole days are read from, rebuilt with the sales summaries."""

    __tablename__ = "fulfilment_time_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    tenths: Mapped[int] = mapped_column(primary_key=True)
    orders: Mapped[int]


class SummaryWatermark(Base):
    """The event stream position the summaries are rebuilt up to: days with later events are computed
    from the orders themselves until the next refresh."""

    __tablename__ = "summary_watermarks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    refreshed_at: Mapped[datetime]
