"""The outbox: a command's order events are written together just before its transaction commits, in the
order they were appended; a rollback (of the transaction or of a savepoint) takes its events with it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, select

from oms_graph.db.models import OrderEvent
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.events import EventType
from oms_graph.services.orders import placement
from oms_graph.services.outbox import append_event
from tests.factories import DEFAULTS, placement_fields, stocked_warehouse

ADMIN = Principal(key_id=uuid.uuid4(), name="outbox", role=Role.ADMIN)


@pytest.fixture
async def order_id(db):  # type: ignore[no-untyped-def]
    await stocked_warehouse(db, sku="A", on_hand=10)
    async with db.write() as s:
        fields = placement_fields("outbox-1", [("A", 1, "1")])
        return (await placement.place_order(s, order=fields, principal=ADMIN, settings=DEFAULTS)).id


async def events_of(db, order_id):  # type: ignore[no-untyped-def]
    async with db.read() as s:
        rows = await s.execute(select(OrderEvent.type, OrderEvent.data).where(OrderEvent.order_id == order_id))
        return [(kind, data.get("n")) for kind, data in rows.all()]


async def test_a_commands_events_are_written_in_one_statement_in_the_order_appended(db, order_id):
    inserts: list[str] = []

    def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO order_events"):
            inserts.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with db.write() as s:
            for n in range(3):
                await append_event(s, order_id=order_id, type=EventType.ORDER_HELD, actor="t", data={"n": n})
            assert inserts == []  # gathered until the commit
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert len(inserts) == 1
    assert (await events_of(db, order_id))[-3:] == [("ORDER_HELD", 0), ("ORDER_HELD", 1), ("ORDER_HELD", 2)]


async def test_a_transaction_rolled_back_writes_none_of_its_events(db, order_id):
    before = await events_of(db, order_id)
    with pytest.raises(RuntimeError):
        async with db.write() as s:
            await append_event(s, order_id=order_id, type=EventType.ORDER_HELD, actor="t", data={"n": 1})
            raise RuntimeError("the command failed after its event")
    assert await events_of(db, order_id) == before


async def test_a_savepoint_rolled_back_takes_its_events_and_leaves_the_others(db, order_id):
    async with db.write() as s:
        await append_event(s, order_id=order_id, type=EventType.ORDER_HELD, actor="t", data={"n": 1})
        with pytest.raises(RuntimeError):
            async with s.begin_nested():
                await append_event(s, order_id=order_id, type=EventType.ORDER_RELEASED, actor="t", data={"n": 2})
                raise RuntimeError("this row is refused")
        await append_event(s, order_id=order_id, type=EventType.ORDER_RELEASED, actor="t", data={"n": 3})
    assert (await events_of(db, order_id))[-2:] == [("ORDER_HELD", 1), ("ORDER_RELEASED", 3)]
