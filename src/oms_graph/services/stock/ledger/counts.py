"""Counts: a level set to what was counted, plus what moved there since the count was taken."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.dialect import arrays_of, dialect_of, insert_rows, lock_rows, unnest_of, update_rows
from oms_graph.services.stock.ledger.rows import LEVEL_KEY, Movement, levels, movement_row, movements

CHUNK = 1000  # levels per statement when a count reads what moved since


@dataclass(frozen=True)
class Count:
    """A counted stock level: its onHand when it was counted, and its safety stock when the count sets one."""

    sku: str
    location_id: uuid.UUID
    on_hand: int
    safety_stock: int | None
    counted_at: datetime


@dataclass(frozen=True)
class Counted:
    """A count applied (onHand: the counted figure plus what moved since), or stale (older than the last
    count applied to the level: nothing changed)."""

    before: Row[Any]
    on_hand: int
    safety_stock: int
    stale: bool
    counted: int  # the figure counted


async def count(
    session: AsyncSession, *, counts: Sequence[Count], movement: Movement
) -> dict[tuple[str, uuid.UUID], Counted]:
    """Set onHand to what was counted plus the movements recorded at the level after the count was taken
    (not other counts); safety stock when given; reservations are kept. By (sku, location id)."""
    wanted = sorted(counts, key=lambda c: (c.sku, c.location_id))
    keys = [(c.sku, c.location_id) for c in wanted]
    await insert_rows(
        session,
        levels,
        [{"sku": sku, "location_id": loc, "updated_at": movement.at} for sku, loc in keys],
        skip_conflicts=True,
    )
    before = {(r.sku, r.location_id): r for r in await lock_rows(session, levels, keys, key=LEVEL_KEY)}
    since = await _moved_since(session, wanted, count_reason=movement.reason)
    done: dict[tuple[str, uuid.UUID], Counted] = {}
    changes, written = [], []
    for c in wanted:
        key = (c.sku, c.location_id)
        old = before[key]
        if old.counted_at is not None and c.counted_at < old.counted_at:
            done[key] = Counted(old, old.on_hand, old.safety_stock, stale=True, counted=c.on_hand)
            continue
        safety = old.safety_stock if c.safety_stock is None else c.safety_stock
        on_hand = max(0, c.on_hand + since.get(key, 0))
        done[key] = Counted(old, on_hand, safety, stale=False, counted=c.on_hand)
        changes.append(
            {
                "sku": c.sku,
                "location_id": c.location_id,
                "on_hand": on_hand,
                "safety_stock": safety,
                "counted_at": c.counted_at,
                "updated_at": movement.at,
            }
        )
        if on_hand != old.on_hand or safety != old.safety_stock:
            row = movement_row(
                c.sku,
                c.location_id,
                on_hand - old.on_hand,
                SimpleNamespace(on_hand=on_hand, safety_stock=safety),
                movement,
            )
            written.append({**row, "counted": c.on_hand})
    await update_rows(session, levels, changes, key=LEVEL_KEY)
    await insert_rows(session, movements, written)
    return done


async def _moved_since(
    session: AsyncSession, counts: Sequence[Count], *, count_reason: str
) -> dict[tuple[str, uuid.UUID], int]:
    """Per level, what its movements after its count was taken add up to (counts left out)."""
    moved: dict[tuple[str, uuid.UUID], int] = {}
    by_time: dict[datetime, list[tuple[str, uuid.UUID]]] = {}
    for c in counts:
        by_time.setdefault(c.counted_at, []).append((c.sku, c.location_id))
    m = movements.c
    since = (m.at > bindparam("b_at"), m.counted.is_(None), m.reason != count_reason)
    for at, keys in by_time.items():
        if dialect_of(session) == "postgresql":  # the keys as arrays, joined: one statement whatever their number
            keyed = unnest_of(movements, LEVEL_KEY)
            query = (
                select(m.sku, m.location_id, func.sum(m.delta))
                .join(keyed, and_(m.sku == keyed.c.sku, m.location_id == keyed.c.location_id))
                .where(*since)
                .group_by(m.sku, m.location_id)
            )
            rows = await session.execute(query, {"b_at": at, **arrays_of(keys, LEVEL_KEY)})
            moved.update({(sku, loc): int(total) for sku, loc, total in rows})
            continue
        for start in range(0, len(keys), CHUNK):
            rows = await session.execute(
                select(m.sku, m.location_id, func.sum(m.delta))
                .where(tuple_(m.sku, m.location_id).in_(keys[start : start + CHUNK]), *since)
                .group_by(m.sku, m.location_id),
                {"b_at": at},
            )
            moved.update({(sku, loc): int(total) for sku, loc, total in rows})
    return moved
