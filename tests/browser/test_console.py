"""The console, the store app and the storefront demo in a real browser against a real server."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from tests.browser.conftest import Served, serious_violations, sign_in

SCREENS = {
    "ADMIN": ["Live feed", "Orders", "Stuck work", "Dashboards"],
    "ANALYST": ["Live feed", "Orders", "Stuck work", "Dashboards"],
    "STORE": ["Queue", "Collect", "Returns", "Endless aisle"],
    "STOREFRONT": ["Storefront"],
}
PLACE = (
    """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number } errors { message } } }"""
)
ORDER = """query($id: ID) { order(id: $id) { status fulfilments { id status pickupCode location { code } } } }"""
RETURN = """mutation($input: RequestReturnInput!) { requestReturn(input: $input) { return { number }
  errors { message } } }"""
RETURNED = """query($id: ID) { order(id: $id) { returns { status lines { sku quantityReceived quantityDamaged } } } }"""
LINES = """query($id: ID!) { node(id: $id) { ... on Fulfilment { lines { sku quantity } } } }"""
BERLIN = {"line1": "Karl-Marx-Allee 1", "city": "Berlin", "country": "DE", "latitude": 52.52, "longitude": 13.41}


def order_input(sku: str, **delivery: Any) -> dict[str, Any]:
    return {
        "channel": "web",
        "idempotencyKey": uuid.uuid4().hex,
        "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
        "lines": [{"sku": sku, "quantity": 1, "unitPrice": "19.99"}],
        "delivery": delivery or {"method": "DELIVERY", "address": BERLIN, "price": "4.90"},
        "payment": {"method": "PREPAID"},
    }


def place(served: Served, order: dict[str, Any], *, role: str = "STOREFRONT") -> dict[str, Any]:
    placed = served.graphql(role, PLACE, input=order)["placeOrder"]
    assert placed["errors"] == [], placed["errors"]
    return placed["order"]


def stocked_at(served: Served, code: str) -> str:
    """A sku the location holds units of."""
    query = (
        """query($code: String) { stockLevels(locationCode: $code, first: 100) { edges { node { sku available } } } }"""
    )
    levels = served.graphql("ADMIN", query, code=code)["stockLevels"]["edges"]
    return next(e["node"]["sku"] for e in levels if e["node"]["available"] >= 2)


def wait_for(what: Any, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = what()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


async def test_each_role_sees_only_its_own_screens(page: Page, served: Served, artefacts: Path) -> None:
    for role, screens in SCREENS.items():
        await sign_in(page, served, role)
        nav = page.get_by_role("navigation")
        assert [t.strip() for t in await nav.get_by_role("link").all_inner_texts()] == screens
        await page.screenshot(path=artefacts / f"{role.lower()}-first-screen.png", full_page=True)
        assert await serious_violations(page) == [], role
        if role in ("STORE", "STOREFRONT"):  # another app's screen by URL shows the role's own first one
            await page.goto(f"{served.base}/console/#/dashboards")
            await expect(page.get_by_role("link", name=screens[0])).to_have_attribute("aria-current", "page")
            await expect(page.get_by_text("Revenue by channel")).to_have_count(0)
        await page.get_by_role("button", name="Sign out").click()
        await expect(page.get_by_label("API key")).to_be_visible()


async def test_a_bad_key_is_refused_with_a_readable_message(page: Page, served: Served, artefacts: Path) -> None:
    await page.goto(f"{served.base}/console/")
    await page.get_by_label("API key").fill("oms_not-a-key")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("This key was refused: check it and try again.")
    assert await page.evaluate("() => sessionStorage.length") == 0
    assert "oms_not-a-key" not in page.url
    await page.screenshot(path=artefacts / "sign-in-refused.png")
    assert await serious_violations(page) == []


async def test_sign_in_and_the_menu_work_from_the_keyboard(page: Page, served: Served) -> None:
    await page.goto(f"{served.base}/console/")
    await page.keyboard.press("Tab")
    await page.keyboard.type(served.keys["ADMIN"])
    await page.keyboard.press("Enter")
    await page.get_by_role("button", name="Sign out").wait_for()
    for _ in range(3):  # the brand is not focusable: the menu's links are the first stops
        await page.keyboard.press("Tab")
    assert await page.evaluate("() => document.activeElement.textContent") == "Stuck work"
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name=re.compile(r"^Backordered: \d+$"))).to_be_visible()


async def test_an_order_placed_through_the_api_shows_in_the_live_feed(page: Page, served: Served) -> None:
    await sign_in(page, served, "ADMIN")
    await expect(page.get_by_text("Live", exact=True)).to_be_visible()
    today = page.get_by_test_id("orders-today")
    await expect(today).to_have_text(re.compile(r"^[\d,]+$"))  # counted (it shows … until then)
    before = int((await today.inner_text()).replace(",", ""))
    order = place(served, order_input(stocked_at(served, "WH-HAM")))
    placed_at = time.monotonic()
    row = page.get_by_role("row").filter(has_text=order["number"]).filter(has_text="ORDER_PLACED")
    await expect(row).to_be_visible(timeout=5000)
    seen_after = time.monotonic() - placed_at
    assert seen_after < 1.0, f"the event reached the feed {seen_after:.2f} s after placeOrder answered"
    await expect(today).to_have_text(f"{before + 1:,}")
    await row.get_by_role("link", name=order["number"]).click()
    await expect(page.get_by_role("heading", name=f"Order {order['number']}")).to_be_visible()


async def test_a_store_works_a_pickup_from_its_queue_to_collected(page: Page, served: Served, artefacts: Path) -> None:
    store = served.graphql("STORE", "{ viewer { location } }")["viewer"]["location"]
    sku = stocked_at(served, store)
    ean = served.graphql("ADMIN", "query($s: [String!]) { products(skus: $s) { ean } }", s=[sku])["products"][0]["ean"]
    await sign_in(page, served, "STORE")
    order = place(served, order_input(sku, method="PICKUP", pickupLocationCode=store))
    await expect(page.get_by_role("status").filter(has_text=f"New assignment: order {order['number']}")).to_be_visible(
        timeout=20000
    )
    card = page.get_by_role("article", name=order["number"])
    await page.screenshot(path=artefacts / "store-queue.png", full_page=True)
    assert await serious_violations(page) == []
    await card.get_by_role("button", name="Accept").click()
    await card.get_by_label("Scan or type a SKU or EAN").fill(ean)
    await card.get_by_label("Scan or type a SKU or EAN").press("Enter")
    await expect(card.get_by_label("Picked / 1")).to_have_value("1")
    await card.get_by_role("button", name="Confirm picked").click()
    await card.get_by_role("button", name="Ready for pickup").click()
    await expect(card).to_have_attribute("data-status", "READY_FOR_PICKUP")
    code = served.graphql("STOREFRONT", ORDER, id=order["id"])["order"]["fulfilments"][0]["pickupCode"]
    await page.get_by_role("link", name="Collect").click()
    handover = page.get_by_role("form", name=order["number"])
    assert await serious_violations(page) == []
    await handover.get_by_label("Pickup code").fill(code)
    await handover.get_by_role("button", name="Hand over").click()
    await expect(handover.get_by_role("status")).to_have_text("Handed over.")
    done = served.graphql("ADMIN", ORDER, id=order["id"])["order"]
    assert done["fulfilments"][0]["status"] == "COLLECTED" and done["status"] == "COMPLETED"
    assert await serious_violations(page) == []

    # the customer brings it back to the counter: the return is received there, graded DAMAGED
    asked = served.graphql(
        "STOREFRONT",
        RETURN,
        input={"orderId": order["id"], "lines": [{"sku": sku, "quantity": 1, "reason": "too small"}]},
    )["requestReturn"]
    assert asked["errors"] == []
    await page.get_by_role("link", name="Returns").click()
    await page.get_by_label("Order number").fill(order["number"])
    await page.get_by_role("button", name="Find").click()
    counter = page.get_by_role("form", name=asked["return"]["number"])
    await counter.get_by_label("Condition").select_option("DAMAGED")
    await page.screenshot(path=artefacts / "store-returns.png", full_page=True)
    assert await serious_violations(page) == []
    await counter.get_by_role("button", name="Receive").click()
    await expect(page.get_by_role("status")).to_have_text("Received.")
    received = served.graphql("ADMIN", RETURNED, id=order["id"])["order"]["returns"][0]
    assert received["status"] in ("RECEIVED", "REFUNDED")  # the refund may already have gone
    assert received["lines"] == [{"sku": sku, "quantityReceived": 1, "quantityDamaged": 1}]


async def test_an_endless_aisle_order_is_placed_and_routed(page: Page, served: Served, artefacts: Path) -> None:
    sku = stocked_at(served, "WH-NUE")
    await sign_in(page, served, "STORE", screen="aisle")
    await page.get_by_label("Find a product (SKU, EAN or name)").fill(sku)
    await page.get_by_role("button", name="Find", exact=True).click()
    await page.get_by_role("button", name=f"{sku} ·").first.click()
    stock = page.get_by_test_id("network-stock")
    await expect(stock).to_be_visible()
    distances = [float(t.split()[0].replace(",", "")) for t in await stock.locator("td:nth-child(3)").all_inner_texts()]
    assert distances == sorted(distances) and distances
    await page.get_by_label("Price").fill("29.90")
    await page.get_by_label("Name", exact=True).fill("Grace Hopper")
    await page.get_by_label("Customer email").fill("grace@example.com")
    await page.get_by_label("Street").fill("Unter den Linden 5")
    await page.get_by_label("City").fill("Berlin")
    await page.screenshot(path=artefacts / "store-endless-aisle.png", full_page=True)
    assert await serious_violations(page) == []
    await page.get_by_role("button", name="Place order").click()
    placed = page.get_by_role("status").filter(has_text="placed.")
    await expect(placed).to_be_visible()
    number = (await placed.inner_text()).split()[1]
    query = """query($n: String) { order(number: $n) { status originLocation { code } } }"""
    routed = wait_for(
        lambda: (o := served.graphql("ADMIN", query, n=number)["order"])["status"] not in ("PLACED",) and o
    )
    assert routed["status"] == "ROUTED" and routed["originLocation"]["code"] == "ST-BER-ALX"


async def test_the_routing_explanation_shows_the_chosen_plan_and_the_alternatives(
    page: Page, served: Served, artefacts: Path
) -> None:
    order = place(served, order_input(stocked_at(served, "WH-HAM")))
    routed = wait_for(lambda: served.graphql("ADMIN", ORDER, id=order["id"])["order"]["status"] == "ROUTED")
    assert routed
    query = """query($id: ID) { order(id: $id) { routing { chosen { score } alternatives { score } } } }"""
    routing = served.graphql("ADMIN", query, id=order["id"])["order"]["routing"]
    await sign_in(page, served, "ADMIN", screen=f"order/{order['id']}")
    plans = page.get_by_test_id("routing-plans")
    await expect(plans.locator("tr[data-plan=chosen]")).to_have_count(1)
    await expect(plans.locator("tr[data-plan=alternative]")).to_have_count(len(routing["alternatives"]))
    assert routing["alternatives"], "the demo chain offers more than one plan"
    await expect(plans.locator("tr[data-plan=chosen] td.num").nth(1)).to_have_text(f"{routing['chosen']['score']:.2f}")
    await page.screenshot(path=artefacts / "console-order.png", full_page=True)
    assert await serious_violations(page) == []


async def test_a_dashboard_chart_draws_from_the_analytics_query(page: Page, served: Served, artefacts: Path) -> None:
    await sign_in(page, served, "ANALYST", screen="dashboards")
    chart = page.get_by_role("figure").filter(has_text="Revenue by channel")
    await expect(chart.locator("canvas")).to_have_count(1)
    await page.screenshot(path=artefacts / "console-dashboards.png", full_page=True)
    assert await serious_violations(page) == []
    await chart.get_by_role("button", name="Show figures").click()
    shown = {
        row.split("\t")[0]: row.split("\t")[1] for row in await chart.locator("tr").all_inner_texts() if "\t" in row
    }
    end = time.time()
    query = """query($from: DateTime!, $to: DateTime!) { analytics { sales(from: $from, to: $to, groupBy: [CHANNEL]) {
      channel revenue } } }"""
    sales = served.graphql(
        "ANALYST",
        query,
        **{
            "from": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end - 30 * 86400)),
            "to": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end + 60)),
        },
    )["analytics"]["sales"]
    assert sales, "the seeded history sold something"
    assert set(shown) == {row["channel"] for row in sales}
    for row in sales:
        assert shown[row["channel"]] == f"€{float(row['revenue']):,.2f}"


async def test_the_language_switches_with_dates_and_money(page: Page, served: Served, artefacts: Path) -> None:
    await sign_in(page, served, "ANALYST", screen="dashboards")
    await page.get_by_label("Language").select_option("ru")
    await expect(page.get_by_role("link", name="Аналитика")).to_be_visible()
    chart = page.get_by_role("figure").filter(has_text="Выручка по каналам")
    await chart.get_by_role("button", name="Показать цифры").click()
    assert "€" in await chart.locator("td").first.inner_text() and "," in await chart.locator("td").first.inner_text()
    assert await page.evaluate("() => document.documentElement.lang") == "ru"
    await page.screenshot(path=artefacts / "console-dashboards-ru.png", full_page=True)
    await page.get_by_label("Язык").select_option("de")
    await expect(page.get_by_role("link", name="Bestellungen")).to_be_visible()


async def test_an_admin_releases_and_cancels_an_order_and_an_analyst_only_reads(page: Page, served: Served) -> None:
    # a call-centre order paid on delivery waits ON_HOLD for its confirmation
    order = place(
        served,
        order_input(stocked_at(served, "WH-HAM"))
        | {"channel": "callcenter", "payment": {"method": "CASH_ON_DELIVERY"}},
        role="ADMIN",
    )
    assert served.graphql("ADMIN", ORDER, id=order["id"])["order"]["status"] == "ON_HOLD"
    heading = page.get_by_role("heading", name=f"Order {order['number']}")
    await sign_in(page, served, "ANALYST", screen=f"order/{order['id']}")
    await expect(heading).to_be_visible()
    await expect(page.get_by_role("button", name="Release")).to_have_count(0)
    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, served, "ADMIN", screen=f"order/{order['id']}")
    await expect(page.get_by_role("button", name="Hold")).to_have_count(0)  # not while ON_HOLD
    await page.get_by_role("button", name="Release").click()
    await expect(heading).to_contain_text("ROUTED", timeout=20000)  # pushed by orderUpdated
    await page.get_by_label("Reason").fill("customer called")
    await page.get_by_role("button", name="Cancel order").click()
    await expect(heading).to_contain_text("CANCELLED")
    assert served.graphql("ADMIN", ORDER, id=order["id"])["order"]["status"] == "CANCELLED"
    await expect(page.get_by_role("listitem").filter(has_text="ORDER_CANCELLED")).to_be_visible()
    await expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)


async def test_search_and_stuck_work_answer_as_the_api_does(page: Page, served: Served, artefacts: Path) -> None:
    order = place(served, order_input(stocked_at(served, "WH-HAM")) | {"externalId": f"SHOP-{uuid.uuid4().hex[:6]}"})
    await sign_in(page, served, "ADMIN", screen="orders")
    await page.get_by_label("External id").fill(order_external(served, order["id"]))
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_role("heading", name="1 order", exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name=order["number"])).to_be_visible()
    await page.get_by_label("External id").fill("")
    await page.get_by_label("Channel").select_option("web")
    await page.get_by_role("button", name="Search").click()
    web = served.graphql("ADMIN", '{ orders(filter: {channel: "web"}) { totalCount } }')["orders"]["totalCount"]
    await expect(page.get_by_role("heading", name=f"{web} orders", exact=True)).to_be_visible()
    await page.screenshot(path=artefacts / "console-orders.png", full_page=True)
    assert await serious_violations(page) == []
    await page.get_by_role("link", name="Stuck work").click()
    at_risk = served.graphql("ADMIN", "{ orders(filter: {stuck: AT_RISK}) { totalCount } }")["orders"]["totalCount"]
    await expect(page.get_by_role("heading", name=f"At risk of missing the promised date: {at_risk}")).to_be_visible()
    await page.screenshot(path=artefacts / "console-stuck.png", full_page=True)
    assert await serious_violations(page) == []


def order_external(served: Served, order_id: str) -> str:
    return served.graphql("ADMIN", "query($id: ID) { order(id: $id) { externalId } }", id=order_id)["order"][
        "externalId"
    ]


async def test_the_storefront_demo_places_an_order_and_follows_it(page: Page, served: Served, artefacts: Path) -> None:
    sku = stocked_at(served, "WH-HAM")
    await sign_in(page, served, "STOREFRONT")
    await page.get_by_label("Find a product (SKU, EAN or name)").fill(sku)
    await page.get_by_role("button", name="Find", exact=True).click()
    await page.get_by_role("button", name=f"{sku} ·").first.click()
    await expect(page.get_by_test_id("network-stock")).to_be_visible()
    await page.get_by_label("Name", exact=True).fill("Ada Lovelace")
    await page.get_by_label("Customer email").fill("ada@example.com")
    await page.get_by_label("Street").fill("Karl-Marx-Allee 1")
    await page.get_by_label("City").fill("Berlin")
    await page.get_by_role("button", name="Delivery options").click()
    options = page.get_by_role("radio")
    await expect(options.first).to_be_checked()
    await page.screenshot(path=artefacts / "storefront.png", full_page=True)
    assert await serious_violations(page) == []
    await page.get_by_role("button", name="Place order").click()
    followed = page.get_by_test_id("followed-order")
    await expect(followed).to_contain_text("WEB-")
    await expect(followed).to_contain_text("ROUTED", timeout=20000)  # pushed by orderUpdated


async def test_a_label_opens_for_printing_with_the_key(page: Page, served: Served) -> None:
    order = place(served, order_input(stocked_at(served, "WH-HAM")))
    assert wait_for(lambda: served.graphql("ADMIN", ORDER, id=order["id"])["order"]["status"] == "ROUTED")
    part = served.graphql("ADMIN", ORDER, id=order["id"])["order"]["fulfilments"][0]
    lines = served.graphql("ADMIN", LINES, id=part["id"])["node"]["lines"]
    for mutation, variables in (
        ("acceptFulfilment(id: $id)", {}),
        ("pickFulfilment(id: $id, lines: $lines)", {"lines": lines}),
        ("packFulfilment(id: $id, parcels: [{weightGrams: 800}])", {}),
    ):
        wanted = "($id: ID!, $lines: [PickedLineInput!]!)" if "lines" in variables else "($id: ID!)"
        done = served.graphql(
            "ADMIN", f"mutation{wanted} {{ {mutation} {{ errors {{ message }} }} }}", id=part["id"], **variables
        )
        assert list(done.values())[0]["errors"] == []
    label = """query($id: ID) { order(id: $id) { fulfilments { shipment { labelUrl } } } }"""
    assert wait_for(
        lambda: served.graphql("ADMIN", label, id=order["id"])["order"]["fulfilments"][0]["shipment"]["labelUrl"]
    )
    await sign_in(page, served, "ADMIN", screen=f"order/{order['id']}")
    async with page.context.expect_page() as opened:
        await page.get_by_role("button", name="Label").click()
    printed = await opened.value
    await printed.wait_for_url(re.compile(r"^blob:"))
    assert printed.url.startswith("blob:"), printed.url  # fetched with the key, never put in a URL
    assert served.keys["ADMIN"] not in printed.url
    head = await page.evaluate(
        "u => fetch(u).then(r => r.arrayBuffer()).then(b => new TextDecoder().decode(b.slice(0, 5)))", printed.url
    )
    assert head == "%PDF-"
