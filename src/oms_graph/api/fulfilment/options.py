"""`deliveryOptions`: what a storefront offers at checkout, computed as routing will route the order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from oms_graph.api.catalog.types import Location
from oms_graph.api.context import Info
from oms_graph.api.errors import reading
from oms_graph.api.orders.inputs import AddressInput, OrderLineInput
from oms_graph.api.orders.types import SkuQuantity
from oms_graph.api.permissions import roles
from oms_graph.db.base import utcnow
from oms_graph.domain.access import Role
from oms_graph.domain.orders import FulfilmentMethod
from oms_graph.services import carrier_rates, geocoding
from oms_graph.services.fulfilment.delivery_options import delivery_options


@strawberry.input
class DeliveryOptionsInput:
    channel: str
    lines: list[OrderLineInput]
    address: AddressInput


@strawberry.type(description="One shipment of a split delivery.")
class DeliveryPart:
    estimated_delivery_date: date
    lines: list[SkuQuantity]
    awaiting_supply: bool = strawberry.field(description="These units come with inbound supply.")


@strawberry.type
class DeliveryOption:
    method: FulfilmentMethod
    carrier: str | None
    service: str | None
    price: Decimal
    currency: str
    estimated_delivery_date: date
    pickup_location: Location | None
    awaiting_supply: bool = strawberry.field(
        description="A delivery sold against inbound supply (the skus' policy allows it): dated from its day."
    )
    by_transfer: bool = strawberry.field(
        description="A pickup whose units are brought to the store first (ship-to-store): ready on the later date."
    )
    quoted: bool = strawberry.field(
        description="Priced and dated by the carrier itself (a connector whose carrier quotes answered within "
        "OMS_RATES_BUDGET_SECONDS); false: by the price table."
    )
    parts: list[DeliveryPart] = strawberry.field(
        description="A split delivery (the channel's routing profile has splitForSupply): what stock has ships "
        "at once, the rest once its supply is in; the option's date is the later. Empty for one shipment."
    )


@strawberry.type
class DeliveryOptionsQuery:
    @strawberry.field(extensions=roles(Role.STOREFRONT, Role.INTEGRATION, Role.STORE))
    async def delivery_options(self, info: Info, input: DeliveryOptionsInput) -> list[DeliveryOption]:
        settings, db = info.context.settings, info.context.db
        where = await geocoding.locate(input.address, settings)  # before the database is asked
        async with reading(info) as session:
            carriers, quoting = await carrier_rates.at_checkout(session)
            options = await delivery_options(
                session,
                principal=info.context.caller,
                channel=input.channel,
                lines=input.lines,
                address=input.address,
                now=utcnow(),
                carriers=[*settings.http_carriers, *carriers],
                where=where,
            )
        options = await carrier_rates.priced(options, quoting, budget=settings.rates_budget_seconds, db=db)
        return [
            DeliveryOption(
                method=o.method,
                carrier=o.carrier,
                service=o.service,
                price=o.price,
                currency=o.currency,
                estimated_delivery_date=o.estimated_date,
                pickup_location=Location.from_model(o.pickup_location) if o.pickup_location else None,
                by_transfer=o.by_transfer,
                awaiting_supply=o.awaiting_supply,
                quoted=o.quoted,
                parts=[
                    DeliveryPart(
                        estimated_delivery_date=p.estimated_date,
                        lines=[SkuQuantity(sku=sku, quantity=n) for sku, n in sorted(p.lines.items())],
                        awaiting_supply=p.awaiting_supply,
                    )
                    for p in o.parts
                ],
            )
            for o in options
        ]
