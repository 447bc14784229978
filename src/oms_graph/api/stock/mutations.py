"""Stock changes from a WMS/ERP: absolute sync and deltas with a reason."""

from __future__ import annotations

import strawberry

from oms_graph.api.catalog.types import Location, LocationShapes
from oms_graph.api.context import Info
from oms_graph.api.errors import command
from oms_graph.api.permissions import roles
from oms_graph.api.stock.types import (
    InputWarning,
    StockAdjustmentInput,
    StockLevel,
    StockLevelInput,
    StockLevelPayload,
    StockLevelsPayload,
)
from oms_graph.domain.access import Role
from oms_graph.services.stock import levels as stock


@strawberry.type
class StockMutation:
    @strawberry.mutation(extensions=roles(Role.INTEGRATION))
    async def set_stock_levels(self, info: Info, input: list[StockLevelInput]) -> StockLevelsPayload:
        actor = info.context.actor
        done, errors = await command(info, lambda s: stock.set_stock_levels(s, inputs=input, actor=actor))
        location = LocationShapes()
        levels = [StockLevel.from_view(v, location(v.location)) for v in done.levels] if done else []
        warnings = [InputWarning.from_notice(n) for n in done.warnings] if done else []
        return StockLevelsPayload(stock_levels=levels, errors=errors, warnings=warnings)

    @strawberry.mutation(extensions=roles(Role.INTEGRATION))
    async def adjust_stock(self, info: Info, input: StockAdjustmentInput) -> StockLevelPayload:
        actor = info.context.actor
        done, errors = await command(info, lambda s: stock.adjust_stock(s, adjustment=input, actor=actor))
        level = StockLevel.from_view(done, Location.from_model(done.location)) if done else None
        return StockLevelPayload(stock_level=level, errors=errors)

    @strawberry.mutation(
        extensions=roles(Role.INTEGRATION),
        description="Many deltas in one call, all or none; each as adjustStock (a movementId applies once).",
    )
    async def adjust_stock_levels(self, info: Info, input: list[StockAdjustmentInput]) -> StockLevelsPayload:
        actor = info.context.actor
        done, errors = await command(info, lambda s: stock.adjust_stock_levels(s, adjustments=input, actor=actor))
        location = LocationShapes()
        levels = [StockLevel.from_view(v, location(v.location)) for v in done or []]
        return StockLevelsPayload(stock_levels=levels, errors=errors)
