"""Steps of a transfer's life over the API, shared by the transfer tests."""

from __future__ import annotations

PROFILE = """mutation($input: RoutingProfileInput!) { updateRoutingProfile(input: $input) {
  routingProfile { allowTransferToPickup } errors { code } } }"""
TRANSFER_FIELDS = """id number status reason expectedAt from { code } to { code } order { number }
  lines { sku quantity picked received damaged missing }"""
PAYLOAD = f"transfer {{ {TRANSFER_FIELDS} }} errors {{ code field message }}"
CREATE = f"mutation($input: CreateTransferInput!) {{ createTransfer(input: $input) {{ {PAYLOAD} }} }}"
T_ACCEPT = f"mutation($id: ID!) {{ acceptTransfer(id: $id) {{ {PAYLOAD} }} }}"
T_PICK = f"mutation($id: ID!, $lines: [PickedLineInput!]!) {{ pickTransfer(id: $id, lines: $lines) {{ {PAYLOAD} }} }}"
T_PACK = f"mutation($id: ID!) {{ packTransfer(id: $id) {{ {PAYLOAD} }} }}"
T_SHIP = f"mutation($id: ID!) {{ shipTransfer(id: $id) {{ {PAYLOAD} }} }}"
T_RECEIVE = f"""mutation($id: ID!, $lines: [TransferReceivedLineInput!]!) {{
  receiveTransfer(id: $id, lines: $lines) {{ {PAYLOAD} }} }}"""
T_CANCEL = f"mutation($id: ID!, $reason: String!) {{ cancelTransfer(id: $id, reason: $reason) {{ {PAYLOAD} }} }}"
TRANSFERS = f"""query($loc: String, $direction: TransferDirection) {{
  transfers(locationCode: $loc, direction: $direction) {{ {TRANSFER_FIELDS} }} }}"""
IN_TRANSIT = """query($sku: String) { stockLevels(sku: $sku) { edges { node { location { code } onHand reserved
  inTransit available } } } }"""
ROUTING = """query($id: ID) { order(id: $id) { status routing { readyBy chosen { allocations {
  location { code } transferTo { code } lines { sku quantity } } } } } }"""


async def attempt(api, key, mutation, **variables):  # type: ignore[no-untyped-def]
    return next(iter((await api.data(key, mutation, variables)).values()))


async def step(api, key, mutation, **variables):  # type: ignore[no-untyped-def]
    payload = await attempt(api, key, mutation, **variables)
    assert payload["errors"] == [], payload["errors"]
    return payload["transfer"]


async def books(api, admin, sku):  # type: ignore[no-untyped-def]
    edges = (await api.data(admin, IN_TRANSIT, {"sku": sku}))["stockLevels"]["edges"]
    return {
        e["node"]["location"]["code"]: (e["node"]["onHand"], e["node"]["reserved"], e["node"]["inTransit"])
        for e in edges
    }


def web_profile(**switches):  # type: ignore[no-untyped-def]
    """The web channel's routing profile with the engine's default weights, and these switches."""
    return {
        "channel": "web",
        "distanceWeight": 1.0,
        "costWeight": 1.0,
        "priorityWeight": 0.5,
        "splitPenalty": 5.0,
        "maxSplits": 3,
        "allowShipFromStore": True,
        **switches,
    }


async def transfers_allowed(api, admin):  # type: ignore[no-untyped-def]
    profile = web_profile(allowTransferToPickup=True)
    done = (await api.data(admin, PROFILE, {"input": profile}))["updateRoutingProfile"]
    assert done == {"routingProfile": {"allowTransferToPickup": True}, "errors": []}


async def work_at_source(api, key, transfer, picked=None):  # type: ignore[no-untyped-def]
    await step(api, key, T_ACCEPT, id=transfer["id"])
    lines = picked or [{"sku": li["sku"], "quantity": li["quantity"]} for li in transfer["lines"]]
    await step(api, key, T_PICK, id=transfer["id"], lines=lines)
    await step(api, key, T_PACK, id=transfer["id"])
    return await step(api, key, T_SHIP, id=transfer["id"])
