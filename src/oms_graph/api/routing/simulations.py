"""What-if routing in the schema (ADMIN, ANALYST): start a simulation, follow it, read its figures; the CSV
at GET /exports/simulations/{id}.csv."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oms_graph.api.context import Info
from oms_graph.api.errors import UserError, command, reading
from oms_graph.api.node import decode_id, encode_id
from oms_graph.api.permissions import roles
from oms_graph.api.routing.strategies import RoutingRuleInput
from oms_graph.api.view import UNAUTHORIZED, bearer
from oms_graph.db import models
from oms_graph.db.engine import Database
from oms_graph.domain.access import Role
from oms_graph.services.auth import KeyRing
from oms_graph.services.routing import simulation

READERS = (Role.ADMIN, Role.ANALYST)


@strawberry.input
class RoutingSimulationInput:
    channel: str
    from_: datetime = strawberry.field(name="from", description="The orders placed from then...")
    to: datetime = strawberry.field(description="...until then (at most 92 days).")
    rules: list[RoutingRuleInput] = strawberry.field(
        description="The candidate strategy, as saveRoutingStrategy takes it."
    )


@strawberry.type(description="One replay's figures.")
class SimulationFigures:
    orders: int
    unsplit: int = strawberry.field(description="Orders served by one location.")
    splits: int = strawberry.field(description="Fulfilments beyond one per order.")
    average_km: float | None
    p95_km: float | None
    delivery_cost: float = strawberry.field(description="The engine's estimate: handling plus distance and weight.")
    ship_from_store_share: float | None = strawberry.field(description="Of the fulfilments, the share at stores.")
    capacity_overruns: int = strawberry.field(description="Fulfilments beyond a location's daily capacity.")
    backorders: int
    same_as_actual: int = strawberry.field(description="Orders sent where they really went.")

    @classmethod
    def of(cls, found: dict[str, Any]) -> SimulationFigures:
        return cls(
            orders=found["orders"],
            unsplit=found["unsplit"],
            splits=found["splits"],
            average_km=found["averageKm"],
            p95_km=found["p95Km"],
            delivery_cost=found["deliveryCost"],
            ship_from_store_share=found["shipFromStoreShare"],
            capacity_overruns=found["capacityOverruns"],
            backorders=found["backorders"],
            same_as_actual=found["sameAsActual"],
        )


@strawberry.type(
    description="A what-if replay of a period's orders: the strategies that routed them beside a candidate."
)
class RoutingSimulation:
    id: strawberry.ID
    status: str = strawberry.field(description="QUEUED, RUNNING, DONE or FAILED.")
    total: int
    done: int
    error: str | None
    actual: SimulationFigures | None = strawberry.field(description="Replayed under the version that routed each.")
    candidate: SimulationFigures | None
    csv_url: str

    @classmethod
    def of(cls, job: models.RoutingSimulation) -> RoutingSimulation:
        results = job.results or {}
        key = encode_id("RoutingSimulation", job.id)
        return cls(
            id=strawberry.ID(key),
            status=job.status,
            total=job.total,
            done=job.done,
            error=job.error,
            actual=SimulationFigures.of(results["actual"]) if "actual" in results else None,
            candidate=SimulationFigures.of(results["candidate"]) if "candidate" in results else None,
            csv_url=f"/exports/simulations/{key}.csv",
        )


@strawberry.type
class RoutingSimulationPayload:
    simulation: RoutingSimulation | None
    errors: list[UserError]


@strawberry.type
class SimulationQuery:
    @strawberry.field(extensions=roles(Role.ANALYST))
    async def routing_simulation(self, info: Info, id: strawberry.ID) -> RoutingSimulation | None:
        decoded = decode_id(id)
        if decoded is None or decoded[0] != "RoutingSimulation":
            return None
        async with reading(info) as session:
            job = await simulation.get(session, simulation_id=decoded[1])
        return None if job is None else RoutingSimulation.of(job)


@strawberry.type
class SimulationMutation:
    @strawberry.mutation(
        extensions=roles(Role.ANALYST),
        description="Replay a channel's orders of a period under a candidate strategy beside the strategies that "
        "routed them (a job: follow it with routingSimulation).",
    )
    async def simulate_routing(
        self, info: Info, input: Annotated[RoutingSimulationInput, strawberry.argument()]
    ) -> RoutingSimulationPayload:
        actor = info.context.caller.name
        done, errors = await command(
            info,
            lambda s: simulation.start(
                s,
                channel_code=input.channel,
                start_at=input.from_,
                end_at=input.to,
                candidate_rules=[r.rule() for r in input.rules],
                actor=actor,
            ),
        )
        return RoutingSimulationPayload(simulation=RoutingSimulation.of(done) if done else None, errors=errors)


def simulation_routes(db: Database, keys: KeyRing) -> list[Route]:
    async def export(request: Request) -> Response:
        token = bearer(request.headers.get("authorization"))
        principal = await keys.principal(token) if token else None
        if principal is None:
            return JSONResponse({"error": UNAUTHORIZED}, status_code=401)
        if principal.role not in READERS:
            return JSONResponse({"error": "simulations are for ADMIN and ANALYST keys"}, status_code=403)
        decoded = decode_id(request.path_params["id"])
        async with db.read() as session:
            found = None
            if decoded is not None and decoded[0] == "RoutingSimulation":
                found = await simulation.csv_of(session, simulation_id=decoded[1])
        if found is None:
            return JSONResponse({"error": "no such simulation"}, status_code=404)
        disposition = 'attachment; filename="simulation.csv"'
        return Response(found, media_type="text/csv", headers={"Content-Disposition": disposition})

    handler: Callable[[Request], Awaitable[Response]] = export
    return [Route("/exports/simulations/{id}.csv", handler)]
