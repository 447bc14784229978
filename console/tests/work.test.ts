import { describe, expect, it } from "vitest";
import { byDay, byDimension, type SalesRow } from "../src/lib/charts";
import { addEvent, countsAsPlaced, type OrderEvent } from "../src/lib/feed";
import { planRows, relative } from "../src/lib/routing";
import { allPicked, lineFor, picked } from "../src/lib/scan";
import { forgetKey, saveKey, savedKey } from "../src/lib/session";

const lines = [
  { sku: "TEE-M", ean: "4006381333931", quantity: 2 },
  { sku: "MUG", ean: null, quantity: 1 },
];

describe("picking by scan", () => {
  it("finds the line by sku or EAN, and nothing for another code", () => {
    expect(lineFor(" 4006381333931\n", lines)).toBe("TEE-M");
    expect(lineFor("MUG", lines)).toBe("MUG");
    expect(lineFor("4006381333948", lines)).toBeNull();
    expect(lineFor("  ", lines)).toBeNull();
  });

  it("counts each scan as a unit, never past the line", () => {
    let counts = picked({}, "TEE-M", lines);
    counts = picked(counts, "TEE-M", lines);
    counts = picked(counts, "TEE-M", lines);
    expect(counts).toEqual({ "TEE-M": 2 });
    expect(allPicked(counts, lines)).toBe(false);
    expect(allPicked(picked(counts, "MUG", lines), lines)).toBe(true);
  });
});

describe("the live feed", () => {
  const event = (id: string, type = "ORDER_PLACED", at = "2026-12-06T10:00:00Z"): OrderEvent => ({
    id,
    orderId: "o",
    orderNumber: "WEB-1",
    type,
    at,
    actor: null,
  });

  it("keeps each event once, newest first, at most the limit", () => {
    let feed = addEvent([], event("1"));
    feed = addEvent(feed, event("2"));
    feed = addEvent(feed, event("1"));
    expect(feed.map((e) => e.id)).toEqual(["2", "1"]);
    expect(addEvent(feed, event("3"), 2).map((e) => e.id)).toEqual(["3", "2"]);
  });

  it("counts each order placed since a moment once", () => {
    const since = new Date("2026-12-06T00:00:00Z");
    const seen = new Set<string>();
    expect(countsAsPlaced(event("1"), since, seen)).toBe(true);
    expect(countsAsPlaced(event("1"), since, seen)).toBe(false); // delivered twice
    expect(countsAsPlaced(event("2", "ORDER_ROUTED"), since, seen)).toBe(false);
    expect(countsAsPlaced(event("3", "ORDER_PLACED", "2026-12-05T10:00:00Z"), since, seen)).toBe(false);
  });
});

describe("the routing explanation", () => {
  const plan = (score: number, distance: number, splits: number, codes: string[]) => ({
    score,
    factors: [
      { name: "distance", value: distance, weight: 0.5 },
      { name: "splits", value: splits, weight: 2 },
    ],
    allocations: codes.map((code) => ({
      location: { code },
      distanceKm: null,
      lines: [{ sku: "A", quantity: 1 }],
    })),
  });

  it("lists the chosen plan first with each factor's weighted part", () => {
    const rows = planRows(plan(1, 1, 0, ["WH-HAM"]), [plan(3, 2, 1, ["ST-A", "ST-B"])]);
    expect(rows.map((r) => r.label)).toEqual(["chosen", "alternative"]);
    expect(rows[1]).toMatchObject({
      locations: ["ST-A", "ST-B"],
      units: 2,
      parts: { distance: 1, splits: 2 },
    });
    expect(relative(rows, "distance")).toEqual([0.5, 1]);
    expect(relative(rows, "splits")).toEqual([0, 1]);
  });
});

describe("analytics for charts", () => {
  const row = (over: Partial<SalesRow>): SalesRow => ({
    channel: null,
    region: null,
    category: null,
    day: null,
    orders: 1,
    units: 1,
    revenue: "10.00",
    ...over,
  });

  it("sums revenue by a dimension, largest first", () => {
    const bars = byDimension(
      [
        row({ channel: "web", revenue: "5" }),
        row({ channel: "app", revenue: "7.5" }),
        row({ channel: "web", revenue: "5" }),
      ],
      "channel",
    );
    expect(bars).toEqual({ labels: ["web", "app"], values: [10, 7.5] });
  });

  it("has every day of the range, 0 where nothing sold", () => {
    const [days, revenue] = byDay(
      [row({ day: "2026-12-02", revenue: "3" })],
      new Date("2026-12-01T08:00:00Z"),
      new Date("2026-12-03T08:00:00Z"),
    );
    expect(days).toEqual([
      Date.UTC(2026, 11, 1) / 1000,
      Date.UTC(2026, 11, 2) / 1000,
      Date.UTC(2026, 11, 3) / 1000,
    ]);
    expect(revenue).toEqual([0, 3, 0]);
  });
});

describe("the key", () => {
  it("is kept trimmed in the given storage and forgotten on sign-out", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    };
    saveKey("  oms_secret \n", storage);
    expect(savedKey(storage)).toBe("oms_secret");
    forgetKey(storage);
    expect(savedKey(storage)).toBeNull();
  });
});
