"""Routing preferences per sales channel, and every routing decision kept per order."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, false
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
    # An exchange's replacement ships before the returned units arrive (else once they are received).
    exchange_before_return: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime] = updated_at()


class RoutingRecord(Base):
    """One routing decision of an order (routed, re-routed, transfers planned, backordered), with its
    explanation as it was then; ids grow, so they order an order's history."""

    __tablename__ = "routing_history"
    __table_args__ = (Index("ix_routing_history_order_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(String(20))  # domain.routing.DecisionKind
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    # ROUTED, REROUTED, TRANSFERS: the decision as order.routing had it; BACKORDERED: the lines, and each
    # location considered with why it could not serve them.
    explanation: Mapped[dict[str, Any]]


class LocationGroup(Base):
    """A named set of locations that routing rules allow or exclude (e.g. WAREHOUSES, BERLIN-STORES)."""

    __tablename__ = "location_groups"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    location_codes: Mapped[dict[str, Any]]  # {"codes": [...]}, in code order
    updated_at: Mapped[datetime] = updated_at()


class RoutingStrategy(Base):
    """A version of a channel's routing strategy: its rules in order (domain.strategies). Versions are never
    changed; saving makes the next one."""

    __tablename__ = "routing_strategies"

    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id"), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    rules: Mapped[dict[str, Any]]  # {"rules": [...]}
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class StrategyActivation(Base):
    """From `activates_at` on, the channel's orders are routed by this version (until a later activation)."""

    __tablename__ = "routing_strategy_activations"
    __table_args__ = (Index("ix_routing_strategy_activations_channel", "channel_id", "activates_at", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id"))
    version: Mapped[int]
    activates_at: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class RoutingSimulation(Base):
    """A what-if replay of a channel's orders of a period under a candidate strategy beside the one that
    routed them (services.routing.simulation): a job, with its progress and, when DONE, its figures."""

    __tablename__ = "routing_simulations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channels.id"))
    start: Mapped[datetime]
    end: Mapped[datetime]
    candidate: Mapped[dict[str, Any]]  # {"rules": [...]} as a strategy stores them
    status: Mapped[str] = mapped_column(String(16))  # QUEUED, RUNNING, DONE, FAILED
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    results: Mapped[dict[str, Any] | None]  # {"actual": {...}, "candidate": {...}}
    error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    finished_at: Mapped[datetime | None]


class SimulatedOrder(Base):
    """Where one order of a simulation went: as recorded, and in each replay."""

    __tablename__ = "simulated_orders"

    simulation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("routing_simulations.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # the order's
    number: Mapped[str] = mapped_column(String(32))
    recorded: Mapped[str] = mapped_column(String(500))  # location codes, space-separated
    actual: Mapped[str] = mapped_column(String(500))  # the replay under the strategy that routed it
    candidate: Mapped[str] = mapped_column(String(500))  # the replay under the candidate
