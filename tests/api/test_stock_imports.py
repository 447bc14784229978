"""Inventory files as jobs: sent over HTTP and answered at once, applied by the worker in batches, bad rows
refused by line without stopping the good ones, FULL mode as the inventory reset, and a reconciliation that
matches what was counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from oms_graph.api.node import decode_id
from oms_graph.db.models import StockImport, StockLevel, StockMovement
from oms_graph.domain.access import Role
from oms_graph.services.stock import imports
from tests.conftest import make_key
from tests.factories import SET_STOCK, UPSERT_PRODUCTS, level, product
from tests.fulfilment_steps import chain_admin, stock

JOB = """query($id: ID!) { stockImport(id: $id) { status mode rowsTotal rowsDone rowsRefused
  errors { line code message } reconciliation(first: 10) { sku locationCode expected counted difference value }
  reconciliationCsvUrl } }"""
LOCATIONS = ["WH-HAM", "ST-BER", "ST-MUC", "WH-FRA"]


@pytest.fixture
async def admin(api):  # type: ignore[no-untyped-def]
    return await chain_admin(api)


async def send(api, key, body: str, **params):  # type: ignore[no-untyped-def]
    """POST the file; the HTTP response."""
    kind = "application/x-ndjson" if params.pop("jsonl", False) else "text/csv"
    return await api.client.post(
        "/imports/stock",
        content=body.encode(),
        params=params,
        headers={"Authorization": f"Bearer {key}", "Content-Type": kind},
    )


async def imported(api, key, body: str, **params):  # type: ignore[no-untyped-def]
    """Send the file, run its job as the worker does, and read the job back."""
    answer = await send(api, key, body, **params)
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "QUEUED"
    job_id = answer.json()["id"]
    await imports.run_import(api.db, import_id=decode_id(job_id)[1])
    return job_id, (await api.data(key, JOB, {"id": job_id}))["stockImport"]


def csv_file(rows: list[str], header: str = "sku,locationCode,onHand") -> str:
    return "\n".join([header, *rows]) + "\n"


async def test_a_ten_thousand_row_file_applies_its_good_rows_and_reports_the_bad_ones_by_line(api, admin):
    skus = [f"IMP-{n:04d}" for n in range(2500)]
    await api.data(admin, UPSERT_PRODUCTS, {"input": [product(s) for s in skus]})
    rows = [f"{s},{loc},{(n + i) % 7}" for n, s in enumerate(skus) for i, loc in enumerate(LOCATIONS)]
    bad = {
        3: "IMP-0000,WH-NOWHERE,4",  # unknown location
        100: "NO-SUCH-SKU,WH-HAM,4",  # unknown sku
        2001: "IMP-0001,WH-HAM,four",  # not a number
        5000: "IMP-0002,WH-HAM,-3",  # negative
        9000: "IMP-0003,WH-HAM",  # a record of another shape
    }
    for index, row in sorted(bad.items()):
        rows.insert(index, row)
    job_id, job = await imported(api, admin, csv_file(rows))
    assert (job["status"], job["mode"], job["rowsTotal"], job["rowsDone"]) == ("DONE", "COUNTS", 10_005, 10_000)
    assert job["rowsRefused"] == 5
    assert [(e["line"], e["code"]) for e in job["errors"]] == [
        (5, "UNKNOWN_LOCATION"),  # the header is line 1
        (102, "UNKNOWN_SKU"),
        (2003, "INVALID_NUMBER"),
        (5002, "INVALID_NUMBER"),
        (9002, "MALFORMED"),
    ]
    async with api.db.read() as session:
        levels = await session.scalar(select(func.count()).select_from(StockLevel).where(StockLevel.sku.like("IMP-%")))
        units = await session.scalar(select(func.sum(StockLevel.on_hand)).where(StockLevel.sku.like("IMP-%")))
    assert levels == 10_000
    assert units == sum((n + i) % 7 for n in range(2500) for i in range(4))


async def test_full_mode_counts_the_levels_a_file_leaves_out_as_zero_at_its_locations_only(api, admin):
    await api.data(
        admin,
        SET_STOCK,
        {"input": [level("SKU-1", "WH-HAM", 5), level("SKU-2", "WH-HAM", 6), level("SKU-2", "ST-BER", 7)]},
    )
    _, job = await imported(api, admin, csv_file(["SKU-1,WH-HAM,4"]), mode="full")
    assert (job["status"], job["rowsDone"], job["rowsRefused"]) == ("DONE", 1, 0)
    assert (await stock(api, "SKU-1", "WH-HAM"))[0] == 4
    assert (await stock(api, "SKU-2", "WH-HAM"))[0] == 0  # absent from the file: counted as zero
    assert (await stock(api, "SKU-2", "ST-BER"))[0] == 7  # another location: left alone


async def test_the_reconciliation_matches_a_hand_computed_table_largest_first(api, admin):
    costs = {"SKU-1": "2.50", "SKU-2": "10.00"}  # SKU-3 has no cost: its difference is sized in units
    await api.data(
        admin,
        UPSERT_PRODUCTS,
        {"input": [{**product(s), "unitCost": c} for s, c in costs.items()] + [product("SKU-3", "Home")]},
    )
    await api.data(
        admin,
        SET_STOCK,
        {"input": [level("SKU-1", "WH-HAM", 10), level("SKU-2", "WH-HAM", 10), level("SKU-3", "ST-BER", 2)]},
    )
    body = csv_file(["SKU-1,WH-HAM,4", "SKU-2,WH-HAM,12", "SKU-3,ST-BER,9", "SKU-1,ST-BER,0", "SKU-2,ST-MUC,3"])
    job_id, job = await imported(api, admin, body)
    # expected, counted, difference, value: SKU-1 -6 x 2.50 = -15, SKU-2 +2 x 10 = 20, SKU-3 +7 units;
    # SKU-1 at ST-BER was expected 0 and counted 0: no difference; SKU-2 at ST-MUC had no level: 0 expected.
    assert [(d["sku"], d["expected"], d["counted"], d["difference"], d["value"]) for d in job["reconciliation"]] == [
        ("SKU-2", 0, 3, 3, "30.00"),
        ("SKU-2", 10, 12, 2, "20.00"),
        ("SKU-1", 10, 4, -6, "-15.00"),
        ("SKU-3", 2, 9, 7, None),
    ]
    csv_answer = await api.client.get(job["reconciliationCsvUrl"], headers={"Authorization": f"Bearer {admin}"})
    assert csv_answer.status_code == 200 and csv_answer.headers["content-type"].startswith("text/csv")
    assert csv_answer.text.splitlines() == [
        "sku,locationCode,expected,counted,difference,value",
        "SKU-2,ST-MUC,0,3,3,30.00",
        "SKU-2,WH-HAM,10,12,2,20.00",
        "SKU-1,WH-HAM,10,4,-6,-15.00",
        "SKU-3,ST-BER,2,9,7,",
    ]


async def test_a_delta_file_in_json_lines_moves_once_per_movement_id_and_refuses_what_it_cannot(api, admin):
    await api.data(admin, SET_STOCK, {"input": [level("SKU-1", "WH-HAM", 5)]})
    lines = [
        {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": 3, "movementId": "asn-1"},
        {"sku": "SKU-1", "locationCode": "WH-HAM", "delta": -20},  # more than on hand
        {"sku": "SKU-2", "locationCode": "WH-HAM", "delta": 2},
    ]
    body = "\n".join(json.dumps(line) for line in lines)
    _, job = await imported(api, admin, body, mode="delta", jsonl=True)
    assert (job["status"], job["rowsDone"], job["rowsRefused"]) == ("DONE", 2, 1)
    assert [(e["line"], e["code"]) for e in job["errors"]] == [(2, "REFUSED")]
    _, again = await imported(api, admin, json.dumps(lines[0]), mode="delta", jsonl=True)  # the ERP sends it again
    assert again["rowsDone"] == 1
    assert (await stock(api, "SKU-1", "WH-HAM"))[0] == 8
    assert (await stock(api, "SKU-2", "WH-HAM"))[0] == 2


async def test_counts_with_a_time_are_applied_as_of_it_and_a_stale_row_changes_nothing(api, admin):
    now = datetime.now(UTC)
    await api.data(admin, SET_STOCK, {"input": [{**level("SKU-1", "WH-HAM", 5), "countedAt": now.isoformat()}]})
    earlier = (now - timedelta(hours=1)).isoformat()
    _, job = await imported(api, admin, csv_file(["SKU-1,WH-HAM,9", "SKU-2,WH-HAM,3"]), countedAt=earlier)
    assert (job["rowsDone"], job["rowsRefused"]) == (1, 1)
    assert [(e["line"], e["code"]) for e in job["errors"]] == [(2, "STALE_COUNT")]
    assert (await stock(api, "SKU-1", "WH-HAM"))[0] == 5


async def test_a_job_run_twice_applies_each_row_once(api, admin):
    answer = await send(api, admin, "sku,locationCode,delta\nSKU-1,WH-HAM,4\n", mode="delta")
    import_id = decode_id(answer.json()["id"])[1]
    await imports.run_import(api.db, import_id=import_id)
    await imports.run_import(api.db, import_id=import_id)  # a redelivered message: the job is DONE
    async with api.db.read() as session:
        moved = await session.scalar(select(func.sum(StockMovement.delta)).where(StockMovement.sku == "SKU-1"))
    assert moved == 4


async def test_a_job_that_fails_after_a_batch_and_runs_again_counts_every_refused_row_once(api, admin, monkeypatch):
    now = datetime.now(UTC)
    later = [{**level(sku, "WH-HAM", 5), "countedAt": now.isoformat()} for sku in ("SKU-1", "SKU-2")]
    await api.data(admin, SET_STOCK, {"input": later})
    rows = ["NOPE,WH-HAM,1", "SKU-1,WH-HAM,9", "SKU-3,WH-HAM,2", "SKU-2,WH-HAM,x", "SKU-2,ST-BER,4"]
    answer = await send(api, admin, csv_file(rows), countedAt=(now - timedelta(hours=1)).isoformat())
    import_id = decode_id(answer.json()["id"])[1]
    batches = 0

    def failing_after_one(apply):  # type: ignore[no-untyped-def]
        async def batch(*args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal batches
            batches += 1
            if batches == 2:
                raise ConnectionResetError("the worker dies in its second batch")
            return await apply(*args, **kwargs)

        return batch

    with monkeypatch.context() as patched:
        for name in ("_apply_counts", "_apply_staged_counts"):  # SQLite's path, PostgreSQL's
            patched.setattr(imports, name, failing_after_one(getattr(imports, name)))
        with pytest.raises(ConnectionResetError):
            await imports.run_import(api.db, import_id=import_id, batch=1)
    async with api.db.read() as session:
        assert (await session.get_one(StockImport, import_id)).applied_line == 3  # line 3, a stale count, is in
    await imports.run_import(api.db, import_id=import_id)
    job = (await api.data(admin, JOB, {"id": answer.json()["id"]}))["stockImport"]
    assert (job["status"], job["rowsTotal"], job["rowsDone"], job["rowsRefused"]) == ("DONE", 5, 2, 3)
    assert [(e["line"], e["code"]) for e in job["errors"]] == [
        (2, "UNKNOWN_SKU"),
        (3, "STALE_COUNT"),
        (5, "INVALID_NUMBER"),
    ]
    assert [(await stock(api, "SKU-3", "WH-HAM"))[0], (await stock(api, "SKU-2", "ST-BER"))[0]] == [2, 4]


@pytest.mark.parametrize(
    "params,body,field",
    [
        ({"mode": "sideways"}, "sku,locationCode,onHand\nSKU-1,WH-HAM,1\n", "mode"),
        ({"countedAt": "yesterday"}, "sku,locationCode,onHand\nSKU-1,WH-HAM,1\n", "countedAt"),
        ({"format": "xml"}, "<stock/>", "format"),
        ({}, "", "body"),
    ],
)
async def test_a_bad_request_is_refused_and_queues_nothing(api, admin, params, body, field):
    answer = await send(api, admin, body, **params)
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == [[field]]
    async with api.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(imports.StockImport)) == 0


async def test_only_integration_and_admin_keys_send_files(api, admin):
    store = await make_key(api.db, Role.STORE, location="ST-BER")
    assert (await send(api, store, "sku,locationCode,onHand\nSKU-1,ST-BER,1\n")).status_code == 403
    assert (await send(api, "oms_nope", "sku,locationCode,onHand\n")).status_code == 401
    integration = await make_key(api.db, Role.INTEGRATION)
    assert (await send(api, integration, "sku,locationCode,onHand\nSKU-1,WH-HAM,1\n")).status_code == 202


PRODUCTS = """mutation($input: [ProductInput!]!) { upsertProducts(input: $input) {
  products { sku unitCost } errors { code field } } }"""


async def test_unit_cost_is_master_data_with_a_clear_error(api, admin):
    refused = (await api.data(admin, PRODUCTS, {"input": [{**product("SKU-1"), "unitCost": "-1"}]}))["upsertProducts"]
    assert [e["field"] for e in refused["errors"]] == [["input", "0", "unitCost"]]
    done = (await api.data(admin, PRODUCTS, {"input": [{**product("SKU-1"), "unitCost": "2.5"}]}))["upsertProducts"]
    assert done["products"] == [{"sku": "SKU-1", "unitCost": "2.50"}]


async def test_an_id_that_is_not_a_stock_import_is_not_found(api, admin):
    body = await api.run(admin, JOB, {"id": "not-an-id"})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    answer = await api.client.get(
        "/imports/stock/not-an-id/reconciliation.csv", headers={"Authorization": f"Bearer {admin}"}
    )
    assert answer.status_code == 404
