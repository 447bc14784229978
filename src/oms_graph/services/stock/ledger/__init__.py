"""The stock ledger: the one writer of the stock counters (`on_hand`, `reserved`, `routed` and `in_transit` of
a stock level, `promised` and `promised_future` of a product, `promised` and `routed` of a channel's
promise).

Every change is one named operation: a conditional UPDATE whose effect is checked, and for a change of
`on_hand` a movement row in the same transaction, so the movements of a level always add up to its onHand.

The lock order, for every transaction that writes counters: the skus' product rows first (when a promise
changes), then the channels' promise rows, then the stock levels, each in code-point key order. In
PostgreSQL's READ COMMITTED every statement after the product lock sees every earlier placement and
reservation of those skus, every statement after a channel's promise rows are locked sees its orders' routing
whole, and two transactions touching the same skus cannot deadlock. (What each counter means: the models.)
"""

from oms_graph.services.stock.ledger.counts import Count, Counted, count
from oms_graph.services.stock.ledger.levels import (
    consume,
    receive,
    release,
    reserve,
    route,
    sell_off_the_shelf,
    write_off,
)
from oms_graph.services.stock.ledger.promises import (
    Promised,
    lock_channels,
    lock_products,
    owe,
    promise,
    promise_counted,
    promise_from_supply,
    release_future,
    release_promise,
)
from oms_graph.services.stock.ledger.rows import LEVEL_KEY, Movement, channel_promises, levels, movements, products
from oms_graph.services.stock.ledger.staged import StagedCounts, count_staged
from oms_graph.services.stock.ledger.transit import call_back, land, send

__all__ = [
    "LEVEL_KEY",
    "call_back",
    "land",
    "send",
    "Count",
    "Counted",
    "Movement",
    "channel_promises",
    "consume",
    "count",
    "count_staged",
    "levels",
    "lock_channels",
    "lock_products",
    "movements",
    "Promised",
    "StagedCounts",
    "products",
    "owe",
    "promise",
    "promise_counted",
    "promise_from_supply",
    "release_future",
    "receive",
    "release",
    "release_promise",
    "reserve",
    "route",
    "sell_off_the_shelf",
    "write_off",
]
