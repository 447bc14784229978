"""Counts straight from an inventory file's staged rows, set-based, on PostgreSQL: the rule of `count` (the
truth at `counted_at`, what moved since applied on top, a count older than the last one applied changes
nothing, safety stock when given, reservations kept, a movement row with the counted figure) in three
statements per batch of lines instead of Python per row. SQLite goes through `count`; the property test
runs both paths and holds them to the same books."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from oms_graph.db.dialect import connection_of
from oms_graph.services.stock.ledger.rows import Movement

# A batch probes ten thousand levels and their movements by key among millions. Under the server's default
# random_page_cost (4: disks that seek), once the tables' statistics are known the planner hashes every
# level and scans every movement instead (280 ms to lock a batch, not 28; the batch's apply 665 ms, not
# 310). For this batch's transaction only, index probes are costed as what they are on SSDs and in memory.
_PLAN_FOR_PROBES = text("SET LOCAL random_page_cost = 1.1")
_BATCH = """
    r AS (
        SELECT line, sku, location_id, counted, safety_stock, counted_at FROM stock_import_rows
        WHERE import_id = :job AND line > :first AND line <= :last
    )"""
# Levels the batch names that do not exist yet are made with their counts applied: nothing moved at a level
# before it existed, so the count (never negative: refused when read) is its figure. Made with it, not made
# empty and then updated: a row updated in the transaction that inserted it has its foreign keys checked
# again. What was made is all the rest needs (a join back to the batch, misjudged while the table is new,
# was a nested loop of ten thousand by ten thousand).
_MAKE = text(
    f"""
    WITH {_BATCH},
    made AS (
        INSERT INTO stock_levels
            (sku, location_id, on_hand, reserved, safety_stock, routed, updated_at, counted_at)
        SELECT sku, location_id, counted, 0, COALESCE(safety_stock, 0), 0, :at, counted_at FROM r
        ON CONFLICT DO NOTHING
        RETURNING sku, location_id, on_hand, safety_stock
    ),
    ledger AS (
        INSERT INTO stock_movements
            (sku, location_id, delta, on_hand_after, safety_stock_after, reason, actor, at, counted, source,
             movement_id)
        SELECT sku, location_id, on_hand, on_hand, safety_stock, :reason, :actor, :at, on_hand, NULL, NULL
        FROM made WHERE on_hand <> 0 OR safety_stock <> 0
        RETURNING 1
    ),
    differences AS (
        INSERT INTO stock_import_differences (import_id, sku, location_id, expected, counted, difference, size)
        SELECT :job, m.sku, m.location_id, 0, m.on_hand, m.on_hand, ABS(m.on_hand * COALESCE(p.unit_cost, 1))
        FROM made m JOIN products p ON p.sku = m.sku
        WHERE m.on_hand <> 0
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT DISTINCT sku FROM made WHERE on_hand - safety_stock > 0
    """
)
_LOCK = text(
    """
    SELECT 1 FROM stock_levels l
    JOIN stock_import_rows r ON r.sku = l.sku AND r.location_id = l.location_id
    WHERE r.import_id = :job AND r.line > :first AND r.line <= :last
    ORDER BY l.sku COLLATE "C", l.location_id
    FOR UPDATE OF l
    """
)
_APPLY = text(
    f"""
    WITH {_BATCH},
    moved AS (
        SELECT r.sku, r.location_id, SUM(m.delta) AS delta FROM r
        JOIN stock_movements m ON m.sku = r.sku AND m.location_id = r.location_id AND m.at > r.counted_at
        WHERE m.counted IS NULL AND m.reason <> :reason
        GROUP BY r.sku, r.location_id
    ),
    calc AS (
        SELECT r.line, r.sku, r.location_id, r.counted, r.counted_at,
               l.on_hand AS before, l.safety_stock AS safety_before,
               GREATEST(0, r.counted + COALESCE(moved.delta, 0)) AS after,
               COALESCE(r.safety_stock, l.safety_stock) AS safety_after,
               (l.counted_at IS NOT NULL AND r.counted_at < l.counted_at) AS stale
        FROM r
        JOIN stock_levels l ON l.sku = r.sku AND l.location_id = r.location_id
        LEFT JOIN moved ON moved.sku = r.sku AND moved.location_id = r.location_id
    ),
    levels AS (
        UPDATE stock_levels l
        SET on_hand = c.after, safety_stock = c.safety_after, counted_at = c.counted_at, updated_at = :at
        FROM calc c
        WHERE l.sku = c.sku AND l.location_id = c.location_id AND NOT c.stale
          AND (c.after, c.safety_after, c.counted_at) IS DISTINCT FROM (l.on_hand, l.safety_stock, l.counted_at)
        RETURNING 1
    ),
    ledger AS (
        INSERT INTO stock_movements
            (sku, location_id, delta, on_hand_after, safety_stock_after, reason, actor, at, counted, source,
             movement_id)
        SELECT sku, location_id, after - before, after, safety_after, :reason, :actor, :at, counted, NULL, NULL
        FROM calc WHERE NOT stale AND (after <> before OR safety_after <> safety_before)
        RETURNING 1
    ),
    differences AS (
        INSERT INTO stock_import_differences (import_id, sku, location_id, expected, counted, difference, size)
        SELECT :job, c.sku, c.location_id, c.counted - (c.after - c.before), c.counted, c.after - c.before,
               ABS((c.after - c.before) * COALESCE(p.unit_cost, 1))
        FROM calc c JOIN products p ON p.sku = c.sku
        WHERE NOT c.stale AND c.after <> c.before
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    -- data-modifying CTEs run to completion whether read or not (PostgreSQL)
    SELECT line, sku, location_id, stale, (after - safety_after > before - safety_before) AS arrived,
           after - before AS found
    FROM calc WHERE stale OR after - safety_after > before - safety_before OR after > before
    """
)


@dataclass(frozen=True)
class StagedCounts:
    stale: list[tuple[int, str]]  # (line, sku) of counts older than the last one applied: nothing changed
    arrived: set[str]  # skus a count made more of (their backorders may be served)
    found: dict[tuple[str, uuid.UUID], int]  # units counts found more than the books had, by level


async def count_staged(
    session: AsyncSession, *, import_id: uuid.UUID, lines: tuple[int, int], movement: Movement
) -> StagedCounts:
    """Apply the staged counts of lines (first, last] of the file (PostgreSQL only); differences recorded
    with them (valued at the product's unit cost, else in units)."""
    params: dict[str, Any] = {
        "job": import_id,
        "first": lines[0],
        "last": lines[1],
        "at": movement.at,
        "reason": movement.reason,
        "actor": movement.actor,
    }
    conn = await connection_of(session)
    await conn.execute(_PLAN_FOR_PROBES)
    made = set((await conn.execute(_MAKE, params)).scalars())
    await conn.execute(_LOCK, params)
    rows = (await conn.execute(_APPLY, params)).all()
    return StagedCounts(
        stale=[(r.line, r.sku) for r in rows if r.stale],
        arrived=made | {r.sku for r in rows if r.arrived and not r.stale},
        found={(r.sku, r.location_id): r.found for r in rows if not r.stale and r.found > 0},
    )
