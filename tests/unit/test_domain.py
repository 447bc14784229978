"""Pure rules: distances, stock arithmetic, batch checks, roles, ids and cursors."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oms_graph.api.node import decode_id, encode_id
from oms_graph.api.pagination import decode_cursor, encode_cursor
from oms_graph.api.view import bearer
from oms_graph.domain import stock
from oms_graph.domain.access import Principal, Role
from oms_graph.domain.catalog import check_batch, check_code, check_coordinates
from oms_graph.domain.errors import ErrorCode, ErrorList
from oms_graph.domain.geo import distance_km


def test_distance_between_real_cities():
    assert distance_km(52.5200, 13.4050, 48.1351, 11.5820) == pytest.approx(504, abs=3)  # Berlin-Munich
    assert distance_km(51.5074, -0.1278, 40.7128, -74.0060) == pytest.approx(5570, abs=15)  # London-New York


@given(st.floats(-90, 90), st.floats(-180, 180), st.floats(-90, 90), st.floats(-180, 180))
def test_distance_is_symmetric_and_bounded(lat1, lon1, lat2, lon2):
    d = distance_km(lat1, lon1, lat2, lon2)
    assert 0 <= d <= 20_016  # half the earth's circumference
    assert d == pytest.approx(distance_km(lat2, lon2, lat1, lon1), abs=1e-6)


def test_available_is_on_hand_less_reserved_and_safety_stock():
    assert stock.available(on_hand=10, reserved=3, safety_stock=2) == 5
    assert stock.available(on_hand=2, reserved=3, safety_stock=1) == -2


def test_check_batch_reports_empty_oversized_and_duplicates():
    errors = ErrorList()
    assert not check_batch(errors, [], key=str, key_field="code")
    assert not check_batch(errors, list(range(4)), key=str, key_field="code", limit=3)
    rows = [SimpleNamespace(code=c) for c in ("a", "b", "a", "a")]
    assert check_batch(errors, rows, key=lambda r: r.code, key_field="code")
    assert [(e.code, e.field) for e in errors.errors] == [
        (ErrorCode.INVALID_INPUT, ("input",)),
        (ErrorCode.INVALID_INPUT, ("input",)),
        (ErrorCode.INVALID_INPUT, ("input", "2", "code")),
        (ErrorCode.INVALID_INPUT, ("input", "3", "code")),
    ]


@pytest.mark.parametrize(
    "code,ok",
    [("WH-HAM", True), ("st.ber/1", True), ("", False), ("-x", False), ("has space", False), ("x" * 65, False)],
)
def test_codes(code, ok):
    errors = ErrorList()
    check_code(errors, code, ["code"])
    assert (not errors.errors) is ok


def test_coordinates_out_of_range_name_the_field():
    errors = ErrorList()
    check_coordinates(errors, 90.5, -180.5, ["input", 0])
    assert [e.field for e in errors.errors] == [("input", "0", "latitude"), ("input", "0", "longitude")]


def test_roles_and_scopes():
    store = Principal(key_id=uuid.uuid4(), name="t", role=Role.STORE, location_code="ST-1")
    admin = Principal(key_id=uuid.uuid4(), name="a", role=Role.ADMIN)
    assert store.has_role(Role.STORE) and not store.has_role(Role.INTEGRATION)
    assert admin.has_role(Role.INTEGRATION)
    assert store.may_use_location("ST-1") and not store.may_use_location("ST-2")
    assert store.may_use_channel("anything") and admin.may_use_location("ST-2")


@given(st.sampled_from(["Channel", "Location", "Product"]), st.uuids())
def test_global_ids_round_trip(type_name, value):
    assert decode_id(encode_id(type_name, value)) == (type_name, value)


def test_foreign_ids_decode_to_none():
    assert decode_id("%%%") is None and decode_id("bm9wZQ") is None


def test_cursors_round_trip():
    assert decode_cursor(encode_cursor(["SKU-1", "WH-1"]), 2) == ["SKU-1", "WH-1"]


@pytest.mark.parametrize(
    "header,token",
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None), (None, None)],
)
def test_bearer_header(header, token):
    assert bearer(header) == token


def test_an_enum_column_stores_the_value_reads_the_member_and_refuses_an_unknown_value():
    from oms_graph.db.base import Choice
    from oms_graph.domain.orders import OrderStatus

    column = Choice(OrderStatus, 24)
    assert column.process_bind_param(OrderStatus.PLACED, None) == "PLACED"
    assert column.process_bind_param("ROUTED", None) == "ROUTED"
    assert column.process_result_value("ROUTED", None) is OrderStatus.ROUTED
    assert column.process_bind_param(None, None) is None
    with pytest.raises(ValueError):
        column.process_bind_param("SHIPPING", None)


def test_the_events_of_a_fulfilment_a_shipment_and_a_return_moving_are_event_types():
    from oms_graph.domain.events import EventType
    from oms_graph.domain.fulfilment import FulfilmentStatus, ShipmentStatus
    from oms_graph.domain.returns import ReturnStatus

    assert EventType.fulfilment(FulfilmentStatus.PICKED) is EventType.FULFILMENT_PICKED
    assert EventType.shipment(ShipmentStatus.IN_TRANSIT) is EventType.SHIPMENT_IN_TRANSIT
    assert EventType.returned(ReturnStatus.RECEIVED) is EventType.RETURN_RECEIVED
    moves = [s for s in FulfilmentStatus if s is not FulfilmentStatus.ASSIGNED]
    assert {EventType.fulfilment(s) for s in moves} <= set(EventType)
    assert {EventType.shipment(s) for s in ShipmentStatus} <= set(EventType)
    assert {EventType.returned(s) for s in ReturnStatus} <= set(EventType)
