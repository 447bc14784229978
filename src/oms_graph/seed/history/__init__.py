"""A believable history of orders, made through the real services and actors at the times it happened.

`oms-graph seed --history N` spreads N orders over the last year of the demo chain: more in November and
December and at weekends, through the day's peaks, over the channel mix, with click & collect, store
sales, cancellations, short-notice line cancellations, rejections and returns. Every step is a real
command at its own time (a simulated clock, db.base.pinned_time), taken in time order across orders, so
stock, capacity and the ledger move as they would have. Orders placed near the end stay open.
"""

from oms_graph.seed.history.run import make_history
from oms_graph.seed.history.trade import order_days

__all__ = ["make_history", "order_days"]
